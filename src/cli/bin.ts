#!/usr/bin/env node
// The executable behind `npx linucb`: hands argv to main() and sets the exit code.
import { main } from "./main.js";
import { ExitCode } from "./command.js";

main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`linucb: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = ExitCode.failed;
  },
);
