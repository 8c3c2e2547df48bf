import { ConfigError } from '../config/load-config';

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

/** sysexits.h's EX_CONFIG: a wrong setting, which restarting will not mend (systemd's RestartPreventExitStatus). */
export const EXIT_CONFIG = 78;

/** The last word of a process that could not start: the reason, and a non-zero exit (EXIT_CONFIG for a wrong setting). */
export function exitWithError(program: string, error: unknown): never {
  console.error(`${program}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(error instanceof ConfigError ? EXIT_CONFIG : 1);
}
