import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type AllInOne, passwordAuthRequest, startAllInOne } from '@overcast/shared/testing';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'interop-admin-password';

/**
 * The tests of OpenStack's interop guideline ("OpenStack Powered": 2020.06 and the 2022.11-derived
 * non-admin list) for the services built so far — identity (16), image (23), network (82),
 * volume (65) and compute (95); see ./*.include — run by Debian's tempest against the all-in-one,
 * as a certification run would.
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
${fixtures.compute === undefined ? '' : computeConfig(fixtures.compute)}
[service_available]
nova = ${fixtures.compute !== undefined ? 'True' : 'False'}
glance = True
neutron = True
cinder = True
swift = False
`;
}

/**
 * The compute tests' settings: the fixtures servers boot from and what the compute API serves. The
 * hypervisor is the fake one, so nothing that needs a reachable guest (SSH validation) can run.
 */
function computeConfig(compute: ComputeFixtures): string {
  return `image_ref_alt = ${compute.imageAltId}
flavor_ref = ${compute.flavorId}
flavor_ref_alt = ${compute.flavorAltId}
# A shared network: tenants make none of their own (create_isolated_networks is off).
fixed_network_name = ${compute.networkName}
min_microversion = ${compute.microversions.min}
max_microversion = ${compute.microversions.max}

[compute-feature-enabled]
console_output = True
enable_instance_password = True
pause = True
suspend = True
snapshot = True
interface_attach = True
config_drive = True
metadata_service = False
# It gates, among the required tests, only the writable server metadata tests (/servers/{id}/metadata),
# which tempest ties to XenAPI since Nova's metadata stopped reaching Xen guests; the API serves it.
xenapi_apis = True
resize = True
cold_migration = False
live_migration = False
rescue = False
shelve = False
change_password = False
personality = False
attach_encrypted_volume = False
vnc_console = False
serial_console = False
spice_console = False

[validation]
run_validation = False
`;
}

/** What the tests expect the cloud to have before they start. */
interface CloudFixtures {
  /** The admin's external network (flat, with a subnet) that tempest's router and floating IP tests plug into. */
  publicNetworkId: string;
  /** A small public image, for the volumes made from an image. */
  imageId: string;
  /** Only for a run of the compute tests. */
  compute?: ComputeFixtures;
}

interface ComputeFixtures {
  imageAltId: string;
  flavorId: string;
  flavorAltId: string;
  networkName: string;
  /** As the service's version document says: tempest skips the tests of the microversions outside. */
  microversions: { min: string; max: string };
}

type Post = (url: string, body: unknown) => Promise<Record<string, { id: string }>>;

async function createFixtures(aio: AllInOne, services: readonly string[]): Promise<CloudFixtures> {
  const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
  const headers = { 'X-Auth-Token': auth.headers.get('x-subject-token') ?? '', 'Content-Type': 'application/json' };
  const post: Post = async (url, body) => {
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body) });
    if (!response.ok) {
      throw new Error(`creating a fixture with POST ${url} answered ${response.status}: ${await response.text()}`);
    }
    return (await response.json()) as Record<string, { id: string }>;
  };
  const network = (await post(`${aio.urls.network}/v2.0/networks`, { network: { name: 'public', 'router:external': true, 'provider:network_type': 'flat', 'provider:physical_network': 'physnet1' } }))['network'];
  await post(`${aio.urls.network}/v2.0/subnets`, { subnet: { network_id: network?.id, ip_version: 4, cidr: '203.0.113.0/24', enable_dhcp: false } });
  const uploadImage = async (name: string): Promise<string> => {
    const image = (await post(`${aio.urls.image}/v2/images`, { name, disk_format: 'raw', container_format: 'bare', visibility: 'public' })) as unknown as { id: string };
    const upload = await fetch(`${aio.urls.image}/v2/images/${image.id}/file`, { method: 'PUT', headers: { ...headers, 'Content-Type': 'application/octet-stream' }, body: Buffer.alloc(1024 * 1024, 0x5a) });
    if (!upload.ok) {
      throw new Error(`uploading the tempest image ${name} answered ${upload.status}`);
    }
    return image.id;
  };
  const imageId = await uploadImage('tempest-tiny');
  const compute = services.includes('compute') ? await createComputeFixtures(aio, post, await uploadImage('tempest-tiny-alt')) : undefined;
  return { publicNetworkId: network?.id ?? '', imageId, compute };
}

/** Two flavors (the alternative one a little larger), and the shared network servers plug into. */
async function createComputeFixtures(aio: AllInOne, post: Post, imageAltId: string): Promise<ComputeFixtures> {
  const flavor = async (name: string, ram: number) => (await post(`${aio.urls.compute}/v2.1/flavors`, { flavor: { name, ram, vcpus: 1, disk: 1 } }))['flavor']?.id ?? '';
  const networkName = 'tempest-shared';
  const network = (await post(`${aio.urls.network}/v2.0/networks`, { network: { name: networkName, shared: true } }))['network'];
  await post(`${aio.urls.network}/v2.0/subnets`, { subnet: { network_id: network?.id, ip_version: 4, cidr: '10.99.0.0/16' } });
  const { version } = (await (await fetch(`${aio.urls.compute}/v2.1`)).json()) as { version: { min_version: string; version: string } };
  return { imageAltId, flavorId: await flavor('tempest-tiny', 128), flavorAltId: await flavor('tempest-tiny-alt', 192), networkName, microversions: { min: version.min_version, max: version.version } };
}

/** How a service's run goes. */
export interface InteropRunOptions {
  concurrency: number;
  timeoutMs: number;
  /** Settings of the all-in-one (OVERCAST_* variables). */
  settings?: Record<string, string>;
  /** Required tests tempest skips by its configuration (a feature not served), each with why. */
  skipped?: Record<string, string>;
  /**
   * Deals the tests out one by one to the `concurrency` workers (tempest's --worker-file) instead of
   * a whole test class to a worker, so that a class whose tests mostly wait is spread too; each
   * worker sets up (and tears down) the classes of its own tests. `ownWorker` names tests that get
   * a worker of their own: the longest, whose class clean-up after them takes about as long again.
   */
  spreadClasses?: { ownWorker: readonly string[] };
}

/**
 * Runs the guideline's required tests of `services` (interop/<service>.include) with Debian's
 * tempest against a fresh all-in-one, expecting every one to pass but the `skipped` ones.
 */
export function describeInterop(services: readonly string[], options: InteropRunOptions): void {
  describe(`OpenStack interop guideline: ${services.join(', ')}, by tempest`, () => {
    let aio: AllInOne;
    let workspace: string;
    let fixtures: CloudFixtures;

    beforeAll(async () => {
      aio = await startAllInOne(ADMIN_PASSWORD, options.settings);
      workspace = await mkdtemp(join(tmpdir(), 'overcast-tempest-'));
      fixtures = await createFixtures(aio, services);
    }, 180_000);

    afterAll(async () => {
      await aio?.close();
      await rm(workspace, { recursive: true, force: true });
    });

    it(`passes every required test of ${services.join(', ')}`, async () => {
      // tempest keeps a registry of workspaces under HOME: give it one of its own.
      const env = { PATH: process.env['PATH'] ?? '', HOME: workspace };
      const directory = join(workspace, 'cloud');
      // In the workspace: tempest init logs to tempest.log where it runs, and the source tree must stay as checked out.
      await run('tempest', ['init', directory], { env, cwd: workspace });
      await writeFile(join(directory, 'etc', 'tempest.conf'), tempestConfig(aio.urls.identity, fixtures));
      const includes = await Promise.all(services.map((service) => readFile(join(__dirname, `${service}.include`), 'utf8')));
      const includeList = join(workspace, 'include.txt');
      await writeFile(includeList, includes.join(''));
      const expected = includes.join('').split('\n').filter(Boolean).length;
      const schedule = options.spreadClasses ? ['--worker-file', await dealTests(workspace, includes.join(''), options.concurrency, options.spreadClasses.ownWorker)] : [];
      const result = await run('tempest', ['run', '--concurrency', String(options.concurrency), '--include-list', includeList, ...schedule], { env, cwd: directory }).catch(
        (error: { stdout?: string; stderr?: string }) => ({ stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
      );
      const totals = /Passed: (\d+)[\s\S]*Skipped: (\d+)[\s\S]*Failed: (\d+)/.exec(result.stdout);
      const skipped = Object.keys(options.skipped ?? {}).sort();
      // A test class tempest skips as a whole counts once: its tests are not run at all.
      const notRun = includes.join('').split('\n').filter((line) => skipped.some((name) => line.startsWith(`^${name.replace(/\./g, '\\.')}\\.`) || line.startsWith(`^${name.replace(/\./g, '\\.')}\\[`))).length;
      expect({ passed: Number(totals?.[1]), failed: Number(totals?.[3]), skipped: skippedTests(result.stdout), output: totals?.[3] === '0' ? '' : result.stdout.slice(-6000) }).toEqual({
        passed: expected - notRun,
        failed: 0,
        skipped,
        output: '',
      });
    }, options.timeoutMs);
  });
}

/**
 * A worker file (YAML; JSON is YAML): each test named in `ownWorker` alone on a worker, and the
 * other workers given the include list's other lines i, i + workers, i + 2 × workers…
 */
async function dealTests(workspace: string, includeList: string, workers: number, ownWorker: readonly string[]): Promise<string> {
  const tests = includeList.split('\n').filter(Boolean);
  // An include line is a regular expression: `^tempest\.api\.…\.TestClass\.test_name\[`.
  const alone = tests.filter((line) => ownWorker.some((name) => line.includes(`\\.${name}\\[`)));
  if (alone.length !== ownWorker.length) {
    throw new Error(`not in the include list, or not once: ${ownWorker.join(', ')}`);
  }
  const rest = tests.filter((line) => !alone.includes(line));
  const shared = workers - alone.length;
  const dealt = [
    ...alone.map((line) => ({ worker: [line] })),
    ...Array.from({ length: Math.min(shared, rest.length) }, (_, worker) => ({ worker: rest.filter((_, index) => index % shared === worker) })),
  ];
  const path = join(workspace, 'workers.yaml');
  await writeFile(path, JSON.stringify(dealt));
  return path;
}

/**
 * The tests (or whole test classes, skipped in `setUpClass`) tempest says it skipped, without their attributes; once
 * each, though a class spread over several workers is skipped by each of them.
 */
function skippedTests(output: string): string[] {
  return [...new Set([...output.matchAll(/^\{\d+\} (?:setUpClass \((\S+)\)|(\S+?)(?:\[[^\]]*\])?)(?: \[[\d.]+s\])? \.\.\. SKIPPED/gm)].map((match) => match[1] ?? match[2] ?? ''))].sort();
}
