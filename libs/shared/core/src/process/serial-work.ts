/**
 * The work a node agent was handed: tasks run one after another when they share a key (a volume,
 * an instance), side by side otherwise — a task waits for every earlier task on any of its keys —
 * and stopping can wait for them. Tasks must not reject.
 */
export class SerialWork {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();

  run(keys: string[], task: () => Promise<void>): Promise<void> {
    const unique = [...new Set(keys)];
    const earlier = unique.flatMap((key) => this.tails.get(key) ?? []);
    const done = Promise.all(earlier).then(task);
    for (const key of unique) {
      this.tails.set(key, done);
    }
    this.running.add(done);
    void done.then(() => {
      this.running.delete(done);
      for (const key of unique) {
        if (this.tails.get(key) === done) {
          this.tails.delete(key);
        }
      }
    });
    return done;
  }

  /** Waits for the tasks queued or running, for up to `graceMs`; resolves with how many had not ended by then. */
  async drain(graceMs: number): Promise<number> {
    let grace: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => (grace = setTimeout(() => resolve('expired'), graceMs)));
    const ending = await Promise.race([Promise.all(this.running), expired]);
    clearTimeout(grace);
    return ending === 'expired' ? this.running.size : 0;
  }
}
