import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const GENERATOR = join(__dirname, '..', '..', '..', 'deploy', 'dev', 'layout-page.mjs');

describe('docs/layout.md', () => {
  it('is what the workspace makes of it now (regenerate with node deploy/dev/layout-page.mjs)', async () => {
    await expect(promisify(execFile)(process.execPath, [GENERATOR, '--check'], { timeout: 60_000 })).resolves.toBeDefined();
  }, 60_000);
});
