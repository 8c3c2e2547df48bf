import { readFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';

/** The PID a daemon wrote to `pidFile`, if the file is there and holds one. */
export async function readPidFile(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** A live process's arguments; undefined once it has ended (a zombie has ended too). */
export async function runningCommandLine(pid: number): Promise<string[] | undefined> {
  const [stat, cmdline] = await Promise.all([readFile(`/proc/${pid}/stat`, 'utf8'), readFile(`/proc/${pid}/cmdline`, 'utf8')]).catch(() => []);
  // "PID (command) STATE …": the command may hold any character, so look after its last ')'.
  if (stat === undefined || cmdline === undefined || stat.charAt(stat.lastIndexOf(')') + 2) === 'Z') {
    return undefined;
  }
  return cmdline.split('\0').filter((arg) => arg !== '');
}

/** How long a daemon may take to end on SIGTERM before it gets SIGKILL, and then to be gone. */
const STOP_GRACE_MS = 5000;
const STOP_POLL_MS = 10;

/** Sends a signal to a daemon (not our child, so addressed by PID); one that has just ended is fine. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') {
      throw error;
    }
  }
}

/** Ends a daemon and waits until it has gone, so what it held (a socket, a port) is free again. */
export async function stopProcess(pid: number): Promise<void> {
  signalProcess(pid, 'SIGTERM');
  if (await waitForExit(pid)) {
    return;
  }
  signalProcess(pid, 'SIGKILL');
  if (!(await waitForExit(pid))) {
    throw new Error(`process ${pid} did not end, even on SIGKILL`);
  }
}

async function waitForExit(pid: number): Promise<boolean> {
  const deadline = Date.now() + STOP_GRACE_MS;
  while ((await runningCommandLine(pid)) !== undefined) {
    if (Date.now() > deadline) {
      return false;
    }
    await delay(STOP_POLL_MS);
  }
  return true;
}
