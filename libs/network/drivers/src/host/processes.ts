import { readFile, writeFile } from 'node:fs/promises';
import { setTimeout as delay } from 'node:timers/promises';
import { type HostCommands } from './host-commands';

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

/** How long a daemon may take, once forked, to write its pid file. */
const START_GRACE_MS = 5000;

/** A daemon of ours found by its pid file: the PID is checked against its command line, which names that file, as PIDs are reused. */
export async function runningDaemon(pidFile: string): Promise<{ pid: number; args: string[] } | undefined> {
  const pid = await readPidFile(pidFile);
  const commandLine = pid === undefined ? undefined : await runningCommandLine(pid);
  if (pid === undefined || commandLine === undefined || !commandLine.some((arg) => arg === pidFile || arg.endsWith(`=${pidFile}`))) {
    return undefined;
  }
  return { pid, args: commandLine.slice(1) };
}

/** A daemon that forks into the background, writes its PID to `pidFile` and reads its files again on SIGHUP (dnsmasq, radvd). */
export interface ConfiguredDaemon {
  command: string;
  /** They name `pidFile`. */
  args: string[];
  pidFile: string;
  /** The files it reads, with the content they must have. */
  files: { path: string; content: string }[];
}

/**
 * Runs `daemon` in `namespace`: rewrites its files, reloads it (SIGHUP) when only they changed,
 * restarts it when its command line changed, and starts it when it is not running. Returns once
 * its pid file names it.
 */
export async function runDaemon(commands: HostCommands, namespace: string, daemon: ConfiguredDaemon): Promise<void> {
  let filesChanged = false;
  for (const { path, content } of daemon.files) {
    filesChanged = (await writeIfChanged(path, content)) || filesChanged;
  }
  const running = await runningDaemon(daemon.pidFile);
  if (running !== undefined && sameArguments(running.args, daemon.args)) {
    if (filesChanged) {
      signalProcess(running.pid, 'SIGHUP');
    }
    return;
  }
  if (running !== undefined) {
    await stopProcess(running.pid);
  }
  await commands.runIn(namespace, daemon.command, daemon.args);
  // The foreground process may end before the daemon it forked has written its PID.
  const deadline = Date.now() + START_GRACE_MS;
  while ((await runningDaemon(daemon.pidFile)) === undefined) {
    if (Date.now() > deadline) {
      throw new Error(`${daemon.command} started but did not write ${daemon.pidFile}`);
    }
    await delay(STOP_POLL_MS);
  }
}

/** Stops the daemon its pid file names, if it runs. */
export async function stopDaemon(pidFile: string): Promise<void> {
  const running = await runningDaemon(pidFile);
  if (running !== undefined) {
    await stopProcess(running.pid);
  }
}

function sameArguments(running: readonly string[], wanted: readonly string[]): boolean {
  return running.length === wanted.length && running.every((arg, index) => arg === wanted[index]);
}

/** Writes `content` unless the file holds it already; says whether it wrote. Readable by all: daemons drop to unprivileged users. */
async function writeIfChanged(path: string, content: string): Promise<boolean> {
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === content) {
    return false;
  }
  await writeFile(path, content, { mode: 0o644 });
  return true;
}
