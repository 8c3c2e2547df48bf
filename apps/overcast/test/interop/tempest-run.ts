import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { passwordAuthRequest } from '@overcast/shared/testing';
import { type AllInOne, startAllInOne } from '../overcast-process';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'interop-admin-password';

/**
 * The tests of OpenStack's interop guideline ("OpenStack Powered": 2020.06 and the 2022.11-derived
 * non-admin list) for the services built so far — identity (16), image (23) and network (82); see
 * ./*.include — run by Debian's tempest against the all-in-one, as a certification run would.
 */
function tempestConfig(identityUrl: string, publicNetworkId: string): string {
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

[network]
# The external network routers and floating IPs use, made by the admin before the run.
public_network_id = ${publicNetworkId}
project_network_cidr = 10.100.0.0/16
project_network_mask_bits = 28
project_network_v6_cidr = 2001:db8::/48
project_network_v6_mask_bits = 64

[network-feature-enabled]
api_extensions = all
ipv6 = True
ipv6_subnet_attributes = True

[image-feature-enabled]
api_v2 = True
api_v1 = False
import_image = False

[service_available]
nova = False
glance = True
neutron = True
cinder = False
swift = False
`;
}

/** The admin's external network (flat, with a subnet) that tempest's router and floating IP tests plug into. */
async function createPublicNetwork(aio: AllInOne): Promise<string> {
  const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
  const headers = { 'X-Auth-Token': auth.headers.get('x-subject-token') ?? '', 'Content-Type': 'application/json' };
  const post = async (path: string, body: unknown) => (await (await fetch(`${aio.urls.network}${path}`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as Record<string, { id: string }>;
  const network = (await post('/v2.0/networks', { network: { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }))['network'];
  await post('/v2.0/subnets', { subnet: { network_id: network?.id, ip_version: 4, cidr: '203.0.113.0/24', enable_dhcp: false } });
  return network?.id ?? '';
}

/**
 * Runs the guideline's required tests of `services` (interop/<service>.include) with Debian's
 * tempest against a fresh all-in-one, expecting every one to pass.
 */
export function describeInterop(services: readonly string[], options: { concurrency: number; timeoutMs: number }): void {
  describe(`OpenStack interop guideline: ${services.join(', ')}, by tempest`, () => {
    let aio: AllInOne;
    let workspace: string;
    let publicNetworkId: string;

    beforeAll(async () => {
      aio = await startAllInOne(ADMIN_PASSWORD);
      workspace = await mkdtemp(join(tmpdir(), 'overcast-tempest-'));
      publicNetworkId = await createPublicNetwork(aio);
    }, 60_000);

    afterAll(async () => {
      await aio?.close();
      await rm(workspace, { recursive: true, force: true });
    });

    it(`passes every required test of ${services.join(', ')}`, async () => {
      // tempest keeps a registry of workspaces under HOME: give it one of its own.
      const env = { PATH: process.env['PATH'] ?? '', HOME: workspace };
      const directory = join(workspace, 'cloud');
      await run('tempest', ['init', directory], { env });
      await writeFile(join(directory, 'etc', 'tempest.conf'), tempestConfig(aio.urls.identity, publicNetworkId));
      const includes = await Promise.all(services.map((service) => readFile(join(__dirname, `${service}.include`), 'utf8')));
      const includeList = join(workspace, 'include.txt');
      await writeFile(includeList, includes.join(''));
      const expected = includes.join('').split('\n').filter(Boolean).length;
      const result = await run('tempest', ['run', '--concurrency', String(options.concurrency), '--include-list', includeList], { env, cwd: directory }).catch(
        (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
      );
      const totals = /Ran: (\d+) tests[\s\S]*Passed: (\d+)[\s\S]*Skipped: (\d+)[\s\S]*Failed: (\d+)/.exec(result.stdout);
      expect({ totals: totals?.slice(1).map(Number), output: totals?.[4] === '0' ? '' : result.stdout.slice(-6000) }).toEqual({ totals: [expected, expected, 0, 0], output: '' });
    }, options.timeoutMs);
  });
}
