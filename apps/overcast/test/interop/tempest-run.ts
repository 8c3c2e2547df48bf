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
 * non-admin list) for the services built so far — identity (16), image (23), network (82) and
 * volume (65); see ./*.include — run by Debian's tempest against the all-in-one, as a
 * certification run would.
 */
function tempestConfig(identityUrl: string, fixtures: CloudFixtures): string {
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
public_network_id = ${fixtures.publicNetworkId}
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

[volume]
catalog_type = volumev3
vendor_name = Overcast
storage_protocol = file
min_microversion = 3.0
max_microversion = 3.44

[volume-feature-enabled]
api_v3 = True
# What /extensions lists; "all" would also demand extensions not served (os-hosts).
api_extensions = os-admin-actions,os-availability-zone,os-extended-services,os-extended-snapshot-attributes,os-quota-sets,scheduler-stats,os-services,os-types-extra-specs,os-types-manage,os-used-limits,os-volume-actions,os-vol-host-attr,os-vol-image-meta,os-vol-mig-status-attr,os-vol-tenant-attr,os-volume-type-access
snapshot = True
clone = True
backup = False
manage_volume = False
manage_snapshot = False
extend_attached_volume = False

[compute]
# The image volumes are made from in the volume tests (made by the admin before the run).
image_ref = ${fixtures.imageId}

[service_available]
nova = False
glance = True
neutron = True
cinder = True
swift = False
`;
}

/** What the tests expect the cloud to have before they start. */
interface CloudFixtures {
  /** The admin's external network (flat, with a subnet) that tempest's router and floating IP tests plug into. */
  publicNetworkId: string;
  /** A small public image, for the volumes made from an image. */
  imageId: string;
}

async function createFixtures(aio: AllInOne): Promise<CloudFixtures> {
  const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
  const headers = { 'X-Auth-Token': auth.headers.get('x-subject-token') ?? '', 'Content-Type': 'application/json' };
  const post = async (url: string, body: unknown) => (await (await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as Record<string, { id: string }>;
  const network = (await post(`${aio.urls.network}/v2.0/networks`, { network: { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }))['network'];
  await post(`${aio.urls.network}/v2.0/subnets`, { subnet: { network_id: network?.id, ip_version: 4, cidr: '203.0.113.0/24', enable_dhcp: false } });
  const image = (await post(`${aio.urls.image}/v2/images`, { name: 'tempest-tiny', disk_format: 'raw', container_format: 'bare', visibility: 'public' })) as unknown as { id: string };
  const upload = await fetch(`${aio.urls.image}/v2/images/${image.id}/file`, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(1024 * 1024, 0x5a) });
  if (!upload.ok) {
    throw new Error(`uploading the tempest image answered ${upload.status}`);
  }
  return { publicNetworkId: network?.id ?? '', imageId: image.id };
}

/**
 * Runs the guideline's required tests of `services` (interop/<service>.include) with Debian's
 * tempest against a fresh all-in-one, expecting every one to pass.
 */
export function describeInterop(services: readonly string[], options: { concurrency: number; timeoutMs: number }): void {
  describe(`OpenStack interop guideline: ${services.join(', ')}, by tempest`, () => {
    let aio: AllInOne;
    let workspace: string;
    let fixtures: CloudFixtures;

    beforeAll(async () => {
      aio = await startAllInOne(ADMIN_PASSWORD);
      workspace = await mkdtemp(join(tmpdir(), 'overcast-tempest-'));
      fixtures = await createFixtures(aio);
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
      await writeFile(join(directory, 'etc', 'tempest.conf'), tempestConfig(aio.urls.identity, fixtures));
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
