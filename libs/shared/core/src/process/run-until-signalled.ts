/** Keeps a started process running until SIGINT or SIGTERM, then stops it cleanly and exits. */
export function runUntilSignalled(stop: () => Promise<void>, onError: (error: unknown) => void): void {
  const handle = () => {
    stop().then(
      () => process.exit(0),
      (error: unknown) => {
        onError(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', handle);
  process.once('SIGTERM', handle);
}

/** The last word of a process that could not start: the reason, and a non-zero exit. */
export function exitWithError(program: string, error: unknown): never {
  console.error(`${program}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
