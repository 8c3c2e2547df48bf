import { CephCommandError, failedWith } from './ceph-cli';

describe('CephCommandError', () => {
  it("gives as its reason rbd's own message, not librbd's log lines before it", () => {
    const stderr = [
      '2026-11-23T22:10:59.210+0000 7f928249d6c0 -1 librbd::SnapshotUnprotectRequest: cannot unprotect: at least 1 child(ren) [1038492288db] in pool \'rbd\'',
      '',
      'rbd: unprotecting snap failed: (16) Device or resource busy',
      '',
    ].join('\n');
    const error = new CephCommandError(['rbd', 'snap', 'unprotect', 'rbd/volume-1@snapshot-2'], 16, stderr);
    expect(error.reason).toBe('rbd: unprotecting snap failed: (16) Device or resource busy');
    expect(new CephCommandError(['rbd', 'rm'], 2, '').reason).toBe('exit 2');
  });

  it('tells which errno a command failed with', () => {
    const error = new CephCommandError(['rbd', 'rm', 'rbd/x'], 2, 'rbd: delete error: (2) No such file or directory');
    expect(failedWith(error, 2)).toBe(true);
    expect(failedWith(error, 16, 39)).toBe(false);
    expect(failedWith(new Error('rbd is not installed'), 2)).toBe(false);
  });
});
