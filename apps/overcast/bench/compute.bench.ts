// Compute benchmark: prints figures, asserts nothing (the compute issue's benchmark).
//   npm run bench:compute        (the libvirt part as root, with libvirt, QEMU and busybox-static installed)
// 1. The all-in-one on the fake hypervisor (one host, sized to hold 1,000 servers; compute quotas
//    unlimited), as a member of a project with one network: 500 servers created one per request
//    with 16 in flight, then 500 more as min_count = max_count = 50 batches with 2 in flight. Each
//    prints servers/s from the first POST to the last server seen ACTIVE, with p50/p99 of each
//    server's time from its POST to ACTIVE, seen by one poller of /servers/detail?changes-since=…
//    every 25 ms (so watching costs the service the same however many servers are building).
// 2. With those 1,000 servers: GET /v2.1/servers/detail (the default page, up to 1,000),
//    /servers/detail?limit=100 and /servers (summaries), p50/p99 over 30 requests each.
// 3. The libvirt driver, when libvirt and QEMU are usable: one real guest (the tests' busybox guest,
//    kernel `aki` + ramdisk `ari` + a 64 MiB qcow2, direct kernel boot) with NO network — the
//    project has none, so at microversion 2.1 the server gets no NIC and needs no network agent —
//    timed from `POST /servers` to ACTIVE and to the guest's `OVERCAST-GUEST-UP` and
//    `OVERCAST-READY` on its console (polled with os-getConsoleOutput); then deleted, and checked
//    that no domain and no instance directory are left.
import { type AllInOne, GUEST_MARKER, type LibvirtDaemons, passwordAuthRequest, startAllInOne, startLibvirt, testGuestImage, whyNoLibvirt } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'bench-admin-password';
const SINGLES = Number(process.env['BENCH_COMPUTE_SERVERS'] ?? 500);
const CONCURRENCY = 16;
const BATCH = 50;
const BATCHES_IN_FLIGHT = 2;
const BATCHED = Number(process.env['BENCH_COMPUTE_BATCHED'] ?? 500);
const LISTS = 30;
/** How often a build is polled: a benchmark may poll, it measures and does not synchronise a test. */
const POLL_MS = 25;
/** Where qemu may open files (docs/drivers.md: the tested location); a directory of this run's own. */
const IMAGES_ROOT = '/var/lib/libvirt/images';

type Json = Record<string, unknown>;

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const p50p99 = (values: number[]) => `p50 ${ms(percentile(values, 0.5))}, p99 ${ms(percentile(values, 0.99))}`;

/** VmRSS of a process, in MiB. */
async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN) / 1024;
}

interface Session {
  token: string;
  projectId: string;
}

async function issueToken(aio: AllInOne, user: string, password: string, project: string): Promise<Session> {
  const response = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest(user, password, project)) });
  if (!response.ok) {
    throw new Error(`token for ${user} answered ${response.status}: ${await response.text()}`);
  }
  const body = (await response.json()) as { token: { project: { id: string } } };
  return { token: response.headers.get('x-subject-token') as string, projectId: body.token.project.id };
}

/** A JSON call with a token; the body read as JSON ({} when empty); anything but 2xx throws. */
async function call(url: string, token: string, method: string, body?: unknown): Promise<Json> {
  const response = await fetch(url, { method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) {
    throw new Error(`${method} ${url} answered ${response.status}: ${text}`);
  }
  return (text === '' ? {} : JSON.parse(text)) as Json;
}

/** Uploads a file as the image's data (streamed, as a client does). */
async function upload(aio: AllInOne, token: string, imageId: string, file: string): Promise<void> {
  const response = await fetch(`${aio.urls.image}/v2/images/${imageId}/file`, {
    method: 'PUT',
    headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
    body: Readable.toWeb(createReadStream(file)) as ReadableStream,
    duplex: 'half',
  } as RequestInit);
  if (!response.ok) {
    throw new Error(`uploading image ${imageId} answered ${response.status}: ${await response.text()}`);
  }
}

/** A project with a member user in it, as the admin makes them; answers the member's session. */
async function memberProject(aio: AllInOne, admin: Session, name: string): Promise<Session> {
  const identity = `${aio.urls.identity}/v3`;
  const project = (await call(`${identity}/projects`, admin.token, 'POST', { project: { name, domain_id: 'default' } }))['project'] as { id: string };
  const password = `${name}-password`;
  const user = (await call(`${identity}/users`, admin.token, 'POST', { user: { name, password, domain_id: 'default', default_project_id: project.id } }))['user'] as { id: string };
  const member = ((await call(`${identity}/roles?name=member`, admin.token, 'GET'))['roles'] as { id: string }[])[0];
  if (member === undefined) {
    throw new Error('the identity service has no member role');
  }
  await call(`${identity}/projects/${project.id}/users/${user.id}/roles/${member.id}`, admin.token, 'PUT');
  // Revocations are kept to the second, as Keystone's are: ask for the token in the next second.
  await delay(1000);
  return issueToken(aio, name, password, name);
}

async function adminSession(aio: AllInOne): Promise<Session> {
  // As above: a token issued in the second of the first start's role grants would be refused.
  await delay(1000);
  return issueToken(aio, 'admin', ADMIN_PASSWORD, 'admin');
}

async function createFlavor(aio: AllInOne, admin: Session, name: string, vcpus: number, ram: number, disk: number): Promise<string> {
  const flavor = (await call(`${aio.urls.compute}/v2.1/flavors`, admin.token, 'POST', { flavor: { name, vcpus, ram, disk } }))['flavor'] as { id: string };
  return flavor.id;
}

/**
 * Watches the servers of a project go ACTIVE with one poller: `GET /servers/detail?changes-since=…`
 * every POLL_MS (from a second before its previous look, so nothing committed meanwhile is missed),
 * noting when each name was first seen ACTIVE. A server seen in ERROR fails every wait.
 */
class ActiveWatcher {
  private readonly activeAt = new Map<string, number>();
  private waiters: { names: string[]; resolve: (times: number[]) => void; reject: (error: Error) => void }[] = [];
  private failure: Error | undefined;
  private stopped = false;

  constructor(
    private readonly compute: string,
    private readonly token: string,
  ) {}

  /** When each of `names` went ACTIVE (performance.now() of the look that saw it). */
  until(names: string[]): Promise<number[]> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ names, resolve, reject });
      this.settle();
    });
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    let previous = Date.now();
    while (!this.stopped) {
      const since = new Date(previous - 1000).toISOString();
      previous = Date.now();
      try {
        const servers = (await call(`${this.compute}/servers/detail?changes-since=${encodeURIComponent(since)}`, this.token, 'GET'))['servers'] as Json[];
        const seenAt = performance.now();
        for (const shown of servers) {
          const name = shown['name'] as string;
          if (shown['status'] === 'ACTIVE' && !this.activeAt.has(name)) {
            this.activeAt.set(name, seenAt);
          } else if (shown['status'] === 'ERROR') {
            this.failure ??= new Error(`server ${name} (${String(shown['id'])}) ended in ERROR: ${JSON.stringify(shown['fault'])}`);
          }
        }
      } catch (error) {
        this.failure ??= error as Error;
      }
      this.settle();
      await delay(POLL_MS);
    }
  }

  private settle(): void {
    this.waiters = this.waiters.filter((waiter) => {
      if (this.failure !== undefined) {
        waiter.reject(this.failure);
        return false;
      }
      const times = waiter.names.map((name) => this.activeAt.get(name));
      if (times.every((time) => time !== undefined)) {
        waiter.resolve(times as number[]);
        return false;
      }
      return true;
    });
  }
}

/** The fake-driver figures, as summary rows. */
async function benchFake(): Promise<string[]> {
  const hostVcpus = 128;
  const hostMemoryMb = 65536;
  const hostDiskGb = 2048;
  const aio = await startAllInOne(ADMIN_PASSWORD, {
    OVERCAST_LOG_LEVEL: 'warn',
    OVERCAST_COMPUTE_AGENT_DRIVER: 'fake',
    // × the allocation ratios (16 cores, 1.5 RAM, 1 disk): room for 2,048 servers of the flavor below.
    OVERCAST_COMPUTE_AGENT_FAKE_VCPUS: String(hostVcpus),
    OVERCAST_COMPUTE_AGENT_FAKE_MEMORY_MB: String(hostMemoryMb),
    OVERCAST_COMPUTE_AGENT_FAKE_LOCAL_GB: String(hostDiskGb),
    OVERCAST_COMPUTE_QUOTA_INSTANCES: '-1',
    OVERCAST_COMPUTE_QUOTA_CORES: '-1',
    OVERCAST_COMPUTE_QUOTA_RAM: '-1',
  });
  try {
    const admin = await adminSession(aio);
    const user = await memberProject(aio, admin, 'bench');
    const flavorId = await createFlavor(aio, admin, 'bench.tiny', 1, 64, 1);
    // The project's one network (a server asking for none gets a port on it) and room for 1,000 ports.
    await call(`${aio.urls.network}/v2.0/quotas/${user.projectId}`, admin.token, 'PUT', { quota: { port: -1 } });
    const network = (await call(`${aio.urls.network}/v2.0/networks`, user.token, 'POST', { network: { name: 'bench' } }))['network'] as { id: string };
    await call(`${aio.urls.network}/v2.0/subnets`, user.token, 'POST', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.0.0.0/21' } });
    const image = (await call(`${aio.urls.image}/v2/images`, user.token, 'POST', { name: 'bench-tiny', disk_format: 'raw', container_format: 'bare' })) as { id: string };
    const imageFile = join(aio.dataDir, 'bench-tiny.raw');
    await run('truncate', ['-s', '1M', imageFile]);
    await upload(aio, user.token, image.id, imageFile);

    const compute = `${aio.urls.compute}/v2.1`;
    const server = (name: string, extra: Json = {}) => ({ server: { name, imageRef: image.id, flavorRef: flavorId, ...extra } });

    // One poller for every build: what changed since its last look, so the polling costs the
    // service one small list per POLL_MS however many servers are building.
    const watcher = new ActiveWatcher(compute, user.token);
    const watching = watcher.run();

    // 1a. One server per request, 16 in flight (a POST, then the wait for that server's ACTIVE).
    const singleLatencies: number[] = [];
    const singlePosts: number[] = [];
    let next = 0;
    const singleStart = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < SINGLES) {
          next += 1;
          const name = `single-${next}`;
          const start = performance.now();
          await call(`${compute}/servers`, user.token, 'POST', server(name));
          singlePosts.push(performance.now() - start);
          const [active] = await watcher.until([name]);
          singleLatencies.push((active as number) - start);
        }
      }),
    );
    const singleSeconds = (performance.now() - singleStart) / 1000;

    // 1b. min_count = max_count = 50 per request (named <name>-1 … <name>-50), 2 requests in flight.
    const batchLatencies: number[] = [];
    const batchPosts: number[] = [];
    let batchesLeft = Math.ceil(BATCHED / BATCH);
    let batchNumber = 0;
    const batchStart = performance.now();
    await Promise.all(
      Array.from({ length: BATCHES_IN_FLIGHT }, async () => {
        while (batchesLeft > 0) {
          batchesLeft -= 1;
          batchNumber += 1;
          const name = `batch-${batchNumber}`;
          const start = performance.now();
          await call(`${compute}/servers`, user.token, 'POST', server(name, { min_count: BATCH, max_count: BATCH }));
          batchPosts.push(performance.now() - start);
          const actives = await watcher.until(Array.from({ length: BATCH }, (_, index) => `${name}-${index + 1}`));
          batchLatencies.push(...actives.map((active) => active - start));
        }
      }),
    );
    const batchSeconds = (performance.now() - batchStart) / 1000;
    watcher.stop();
    await watching;

    // 2. Lists with every server there.
    const listOf = async (path: string) => {
      const latencies: number[] = [];
      let count = 0;
      for (let round = 0; round < LISTS; round++) {
        const start = performance.now();
        count = ((await call(`${compute}${path}`, user.token, 'GET'))['servers'] as unknown[]).length;
        latencies.push(performance.now() - start);
      }
      return { latencies, count };
    };
    const detail = await listOf('/servers/detail');
    const detail100 = await listOf('/servers/detail?limit=100');
    const summaries = await listOf('/servers');
    const rss = await rssOf(aio.process.pid);

    const total = SINGLES + BATCHED;
    return [
      `| fake driver, all-in-one (embedded PGlite), one host, project with one network | figure |`,
      '|---|---|',
      `| ${SINGLES} servers, one per POST, ${CONCURRENCY} in flight, first POST → last ACTIVE | ${singleSeconds.toFixed(2)} s = ${(SINGLES / singleSeconds).toFixed(1)} servers/s; POST → ACTIVE ${p50p99(singleLatencies)}; the POST's answer ${p50p99(singlePosts)} |`,
      `| ${BATCHED} more, min_count = max_count = ${BATCH}, ${BATCHES_IN_FLIGHT} POSTs in flight | ${batchSeconds.toFixed(2)} s = ${(BATCHED / batchSeconds).toFixed(1)} servers/s; POST → ACTIVE ${p50p99(batchLatencies)}; the POST's answer ${p50p99(batchPosts)} |`,
      `| GET /v2.1/servers/detail (${detail.count} of ${total} servers), ${LISTS} requests | ${p50p99(detail.latencies)} |`,
      `| GET /v2.1/servers/detail?limit=100 (${detail100.count}) | ${p50p99(detail100.latencies)} |`,
      `| GET /v2.1/servers (${summaries.count}, summaries) | ${p50p99(summaries.latencies)} |`,
      `| all-in-one RSS with ${total} servers | ${rss.toFixed(0)} MiB |`,
    ];
  } finally {
    await aio.close();
  }
}

/** The libvirt figures, as summary rows; the reason when they cannot be had here. */
async function benchLibvirt(): Promise<string[]> {
  const unavailable = whyNoLibvirt();
  if (unavailable !== undefined) {
    return [`| libvirt driver | skipped: ${unavailable} |`];
  }
  let daemons: LibvirtDaemons | undefined;
  const instancesPath = join(IMAGES_ROOT, `overcast-bench-${randomBytes(3).toString('hex')}`);
  const scratch = `${instancesPath}-scratch`;
  try {
    daemons = await startLibvirt();
    await mkdir(scratch, { recursive: true });
    const guest = await testGuestImage();
    const rootImage = join(scratch, 'root.qcow2');
    await run('qemu-img', ['create', '-q', '-f', 'qcow2', rootImage, '64M']);
    const aio = await startAllInOne(ADMIN_PASSWORD, {
      OVERCAST_LOG_LEVEL: 'warn',
      OVERCAST_COMPUTE_AGENT_DRIVER: 'libvirt',
      OVERCAST_COMPUTE_AGENT_LIBVIRT_URI: daemons.uri,
      OVERCAST_COMPUTE_AGENT_LIBVIRT_INSTANCES_PATH: instancesPath,
    });
    try {
      const virt = /compute-agent\s+(.*)/.exec(aio.process.describe())?.[1];
      const admin = await adminSession(aio);
      const user = await memberProject(aio, admin, 'bench-libvirt');
      const flavorId = await createFlavor(aio, admin, 'bench.guest', 1, 256, 1);
      const newImage = async (name: string, diskFormat: string, containerFormat: string, file: string, properties: Json = {}) => {
        const created = (await call(`${aio.urls.image}/v2/images`, user.token, 'POST', { name, disk_format: diskFormat, container_format: containerFormat, ...properties })) as { id: string };
        await upload(aio, user.token, created.id, file);
        return created.id;
      };
      const kernelId = await newImage('bench-kernel', 'aki', 'aki', guest.kernel);
      const ramdiskId = await newImage('bench-ramdisk', 'ari', 'ari', guest.initrd);
      const imageId = await newImage('bench-guest', 'qcow2', 'bare', rootImage, { kernel_id: kernelId, ramdisk_id: ramdiskId, os_command_line: guest.cmdline });

      const compute = `${aio.urls.compute}/v2.1`;
      const start = performance.now();
      const id = ((await call(`${compute}/servers`, user.token, 'POST', { server: { name: 'guest', imageRef: imageId, flavorRef: flavorId } }))['server'] as { id: string }).id;
      let shown: Json;
      for (;;) {
        shown = (await call(`${compute}/servers/${id}`, user.token, 'GET'))['server'] as Json;
        if (shown['status'] !== 'BUILD') {
          break;
        }
        await delay(50);
      }
      const toActive = (performance.now() - start) / 1000;
      if (shown['status'] !== 'ACTIVE') {
        throw new Error(`the guest ended ${String(shown['status'])}: ${JSON.stringify(shown['fault'])}`);
      }
      const nics = Object.keys((shown['addresses'] as Json | undefined) ?? {}).length;
      const seen: Partial<Record<'up' | 'ready', number>> = {};
      let console = '';
      const deadline = performance.now() + 180_000;
      while (seen.ready === undefined && performance.now() < deadline) {
        console = ((await call(`${compute}/servers/${id}/action`, user.token, 'POST', { 'os-getConsoleOutput': { length: -1 } }))['output'] as string | undefined) ?? '';
        const lines = console.split('\n').map((line) => line.trim());
        if (seen.up === undefined && lines.includes(GUEST_MARKER.up)) {
          seen.up = (performance.now() - start) / 1000;
        }
        if (lines.includes(GUEST_MARKER.ready)) {
          seen.ready = (performance.now() - start) / 1000;
        } else {
          await delay(100);
        }
      }
      const ipLine = console.split('\n').find((line) => line.trim().startsWith(GUEST_MARKER.ip))?.trim() ?? `${GUEST_MARKER.ip} (not printed)`;

      const deleteStart = performance.now();
      await call(`${compute}/servers/${id}`, user.token, 'DELETE');
      for (;;) {
        const response = await fetch(`${compute}/servers/${id}`, { headers: { 'X-Auth-Token': user.token } });
        if (response.status === 404) {
          break;
        }
        const status = ((await response.json()) as { server: Json }).server['status'];
        if (status === 'ERROR') {
          throw new Error(`deleting the guest ended in ERROR`);
        }
        await delay(50);
      }
      const deleteSeconds = (performance.now() - deleteStart) / 1000;
      const domains = (await run('virsh', ['-q', '-c', daemons.uri, 'list', '--all', '--name'])).stdout.split('\n').filter((name) => name.trim() === `instance-${id}`);
      const left = (await readdir(instancesPath).catch(() => [])).filter((name) => name !== '_base');
      const leftovers = [...domains, ...left.map((name) => `${instancesPath}/${name}`)];
      const s = (value: number | undefined) => (value === undefined ? 'not seen within 180 s' : `${value.toFixed(2)} s`);
      return [
        `| libvirt driver (${virt ?? 'see the aio output'}), one guest, ${nics} NIC(s) | figure |`,
        '|---|---|',
        `| POST /servers → ACTIVE | ${toActive.toFixed(2)} s |`,
        `| POST /servers → ${GUEST_MARKER.up} on the console | ${s(seen.up)} |`,
        `| POST /servers → ${GUEST_MARKER.ready} (no NIC: includes the guest's 5 s wait for an eth0; "${ipLine}") | ${s(seen.ready)} |`,
        `| DELETE → 404 | ${deleteSeconds.toFixed(2)} s; left behind: ${leftovers.length === 0 ? 'nothing' : leftovers.join(', ')} |`,
      ];
    } finally {
      await aio.close();
    }
  } finally {
    await rm(instancesPath, { recursive: true, force: true });
    await rm(scratch, { recursive: true, force: true });
    await daemons?.close();
  }
}

async function main(): Promise<void> {
  const fake = await benchFake();
  console.log(fake.join('\n'));
  const libvirt = await benchLibvirt();
  console.log(`\n${libvirt.join('\n')}`);
  console.log(`\nCompute benchmark summary:\n${fake.join('\n')}\n\n${libvirt.join('\n')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
