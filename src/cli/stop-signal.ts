/**
 * The shutdown signal of the long-running commands (`serve`, `worker`): they run until SIGTERM or
 * SIGINT, then finish their work in hand and exit 0.
 */

/** Resolves with the signal's name when the process gets SIGTERM or SIGINT (once; the handlers are removed). */
export function stopSignal(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off("SIGTERM", stop);
      process.off("SIGINT", stop);
      resolve(signal);
    };
    process.on("SIGTERM", stop);
    process.on("SIGINT", stop);
  });
}
