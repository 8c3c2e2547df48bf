/**
 * Polls `probe` until `check` accepts its value, for effects that happen outside the test's
 * control (a file watcher, another process); fails with the last value at the deadline.
 */
export async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean, deadlineMs = 5000): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (check(value)) {
      return value;
    }
    if (Date.now() > end) {
      throw new Error(`still not as expected after ${deadlineMs} ms: ${JSON.stringify(value)}`);
    }
    await new Promise((resolve) => setImmediate(resolve));
  }
}
