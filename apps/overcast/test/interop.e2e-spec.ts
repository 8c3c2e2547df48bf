import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AllInOne, startAllInOne } from './overcast-process';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'interop-admin-password';

/**
 * The tests of OpenStack's interop guideline ("OpenStack Powered": 2020.06 and the 2022.11-derived
 * non-admin list) for the services built so far — identity (16) and image (23); see interop/*.include —
 * run by Debian's tempest against the all-in-one, as a certification run would.
 */
const SERVICES = ['identity', 'image'];
function tempestConfig(identityUrl: string): string {
  return `[DEFAULT]
log_file = tempest.log

[auth]
admin_username = admin
admin_password = ${ADMIN_PASSWORD}
admin_project_name = admin
admin_domain_name = Default
use_dynamic_credentials = True
create_isolated_networks = False

[identity]
uri_v3 = ${identityUrl}/v3
auth_version = v3
region = RegionOne
# Keystone's default, and ours: password history is not enforced.
user_unique_last_password_count = 0

[identity-feature-enabled]
api_v2 = False
api_v3 = True
application_credentials = True
security_compliance = True
project_tags = True

[image-feature-enabled]
api_v2 = True
api_v1 = False
import_image = False

[service_available]
nova = False
glance = True
neutron = False
cinder = False
swift = False
`;
}

describe('OpenStack interop guideline: identity and image, by tempest', () => {
  let aio: AllInOne;
  let workspace: string;

  beforeAll(async () => {
    aio = await startAllInOne(ADMIN_PASSWORD);
    workspace = await mkdtemp(join(tmpdir(), 'overcast-tempest-'));
  }, 60_000);

  afterAll(async () => {
    await aio?.close();
    await rm(workspace, { recursive: true, force: true });
  });

  it('passes every required test of the services built so far', async () => {
    // tempest keeps a registry of workspaces under HOME: give it one of its own.
    const env = { PATH: process.env['PATH'] ?? '', HOME: workspace };
    const directory = join(workspace, 'cloud');
    await run('tempest', ['init', directory], { env });
    await writeFile(join(directory, 'etc', 'tempest.conf'), tempestConfig(aio.urls.identity));
    const includes = await Promise.all(SERVICES.map((service) => readFile(join(__dirname, 'interop', `${service}.include`), 'utf8')));
    const includeList = join(workspace, 'include.txt');
    await writeFile(includeList, includes.join(''));
    const expected = includes.join('').split('\n').filter(Boolean).length;
    const result = await run('tempest', ['run', '--concurrency', '2', '--include-list', includeList], { env, cwd: directory }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );
    const totals = /Ran: (\d+) tests[\s\S]*Passed: (\d+)[\s\S]*Skipped: (\d+)[\s\S]*Failed: (\d+)/.exec(result.stdout);
    expect({ totals: totals?.slice(1).map(Number), output: totals?.[4] === '0' ? '' : result.stdout.slice(-6000) }).toEqual({ totals: [expected, expected, 0, 0], output: '' });
  }, 300_000);
});
