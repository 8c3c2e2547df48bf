import { BusRemoteError, BusTimeoutError } from './bus.errors';
import { PendingCalls } from './pending-calls';

describe('PendingCalls', () => {
  it('resolves a call with its reply and forgets it', async () => {
    const calls = new PendingCalls();
    const result = calls.add('c1', 'compute servers.get', 1_000);

    calls.settle('c1', { ok: true, result: 42 });

    await expect(result).resolves.toBe(42);
    expect(calls.size).toBe(0);
  });

  it('rejects an error reply with BusRemoteError', async () => {
    const calls = new PendingCalls();
    const result = calls.add('c1', 'compute servers.get', 1_000);

    calls.settle('c1', { ok: false, error: { name: 'NotFound', message: 'no such server' } });

    await expect(result).rejects.toEqual(new BusRemoteError('NotFound', 'no such server'));
    await expect(result).rejects.toMatchObject({ remoteName: 'NotFound' });
  });

  it('times out, removes the entry and ignores a late reply', async () => {
    const calls = new PendingCalls();
    const result = calls.add('c1', 'compute servers.get', 20);

    await expect(result).rejects.toBeInstanceOf(BusTimeoutError);
    expect(calls.size).toBe(0);
    expect(() => calls.settle('c1', { ok: true, result: 'late' })).not.toThrow();
  });

  it('fails every pending call at once', async () => {
    const calls = new PendingCalls();
    const results = [calls.add('c1', 'a', 1_000), calls.add('c2', 'b', 1_000)];

    calls.failAll(new Error('closed'));

    await expect(Promise.allSettled(results)).resolves.toEqual([
      { status: 'rejected', reason: new Error('closed') },
      { status: 'rejected', reason: new Error('closed') },
    ]);
    expect(calls.size).toBe(0);
  });
});
