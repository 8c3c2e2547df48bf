import { setTimeout as delay } from 'node:timers/promises';

/** Pause between two probes: this polls another party, it does not stand in for synchronisation. */
const POLL_INTERVAL_MS = 20;

/**
 * Polls `probe` until `check` accepts its value or `deadlineMs` passes, for effects that happen
 * outside the test's control (a file watcher, another process, the bus). Returns the last value
 * either way, for the test's own expectation to judge and show.
 */
export async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean, deadlineMs = 5000): Promise<T> {
  const end = Date.now() + deadlineMs;
  let value = await probe();
  while (!check(value) && Date.now() < end) {
    await delay(POLL_INTERVAL_MS);
    value = await probe();
  }
  return value;
}
