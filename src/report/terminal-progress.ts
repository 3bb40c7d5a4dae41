/**
 * Cadence progress on a terminal (stderr): one line per step with its duration, and within long
 * steps a progress bar redrawn in place when the stream is a TTY, or a plain line at each quarter
 * otherwise (logs and CI keep readable lines, no carriage returns).
 */
import type { CadenceProgress, CadenceStep } from "../cadence/index.js";

/** Options of {@link terminalProgress}. */
export interface TerminalProgressOptions {
  /** Draw an in-place bar (true for a TTY). @default stream.isTTY */
  readonly tty?: boolean;
  /** Bar width in characters. @default 28 */
  readonly width?: number;
  /** Prefix of every line. @default "linucb cadence" */
  readonly prefix?: string;
}

/** Progress rendered on `stream`; see the module comment. */
export function terminalProgress(
  stream: NodeJS.WritableStream,
  options: TerminalProgressOptions = {},
): CadenceProgress {
  const tty = options.tty ?? (stream as { isTTY?: boolean }).isTTY === true;
  const width = options.width ?? 28;
  const prefix = options.prefix ?? "linucb cadence";
  let barShown = false;
  let lastQuarter = -1;
  let lastDraw = 0;

  const clearBar = (): void => {
    if (barShown) stream.write("\r\x1b[2K");
    barShown = false;
  };

  return {
    stepStarted(step: CadenceStep, detail: string) {
      clearBar();
      lastQuarter = 0;
      stream.write(`${prefix}: ${step.padEnd(8)} ${detail}…\n`);
    },
    stepAdvanced(step: CadenceStep, done: number, total: number) {
      if (!(total > 0)) return;
      const share = Math.min(1, Math.max(0, done / total));
      if (tty) {
        const now = performance.now();
        // Redraw at most ~20 times a second, and always at the end.
        if (share < 1 && now - lastDraw < 50) return;
        lastDraw = now;
        const filled = Math.round(share * width);
        stream.write(
          `\r\x1b[2K  ${step} [${"█".repeat(filled)}${"░".repeat(width - filled)}] ` +
            `${done.toLocaleString("en-US")}/${total.toLocaleString("en-US")} ${(share * 100).toFixed(0)}%`,
        );
        barShown = true;
        return;
      }
      const quarter = Math.floor(share * 4);
      if (quarter > lastQuarter && quarter > 0) {
        lastQuarter = quarter;
        stream.write(`${prefix}: ${step.padEnd(8)} ${done}/${total} (${(share * 100).toFixed(0)}%)\n`);
      }
    },
    stepFinished(step: CadenceStep, summary: string, seconds: number) {
      clearBar();
      stream.write(`${prefix}: ${step.padEnd(8)} done in ${seconds.toFixed(2)} s: ${summary}\n`);
    },
  };
}
