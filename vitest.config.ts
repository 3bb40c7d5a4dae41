import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Relaxed SIMD needs a flag on Node 20 (refused in NODE_OPTIONS), so the workers get it here;
    // Node >= 22 has it on by default and ignores nothing by accepting the flag.
    pool: "forks",
    execArgv: ["--experimental-wasm-relaxed-simd"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
