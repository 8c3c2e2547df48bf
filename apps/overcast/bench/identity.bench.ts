// Identity benchmark: prints figures, asserts nothing (issue 2 §6).
//   npm run bench:identity        (needs PostgreSQL at $OVERCAST_TEST_DATABASE_URL or 127.0.0.1:5432)
// 1. The all-in-one (embedded defaults): time from spawn to all five APIs answering, and idle RSS,
//    on a first start (migrations + bootstrap) and on a restart of the same data dir.
// 2. `overcast serve identity` as its own process on real PostgreSQL, loaded with autocannon:
//    token issue (password) and token validation at concurrency 1, 8 and 32, then both at once
//    (validation latency while argon2 hashes at full speed), and the process's peak RSS.
import autocannon from 'autocannon';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase } from '@overcast/shared/testing';

const OVERCAST = join(__dirname, '..', 'bin', 'overcast.js');
const SERVICES = ['identity', 'compute', 'image', 'network', 'block-storage'] as const;
const ADMIN_PASSWORD = 'bench-admin-password';
const DURATION_SECONDS = Number(process.env['BENCH_DURATION'] ?? 10);
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Environment for a child: ours minus NODE_OPTIONS, with a port per service and a data dir. */
function childEnv(dataDir: string, ports: Record<string, number>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OVERCAST_DATA_DIR: dataDir, OVERCAST_ADMIN_PASSWORD: ADMIN_PASSWORD, OVERCAST_LOG_LEVEL: 'warn', ...extra };
  delete env['NODE_OPTIONS'];
  for (const [service, port] of Object.entries(ports)) {
    env[`OVERCAST_${service.toUpperCase().replace('-', '_')}_PORT`] = String(port);
  }
  return env;
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url);
    await response.arrayBuffer();
    return response.status < 500;
  } catch {
    return false;
  }
}

/** Polls every URL until all answer; fails if the child exits first. */
async function waitUntilAnswering(child: ChildProcess, urls: string[]): Promise<void> {
  let exited = false;
  child.once('exit', () => (exited = true));
  const pending = new Set(urls);
  while (pending.size > 0) {
    if (exited) {
      throw new Error(`process exited before ${[...pending].join(', ')} answered`);
    }
    for (const url of pending) {
      if (await answers(url)) {
        pending.delete(url);
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** VmRSS (current) and VmHWM (peak) of a process, in MiB. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) {
    return;
  }
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const mib = (value: number) => `${value.toFixed(0)} MiB`;

async function benchAllInOne(): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overcast-bench-aio-'));
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (service) => [service, await freePort()] as const)));
  const urls = SERVICES.map((service) => `http://127.0.0.1:${ports[service]}/`);
  const lines: string[] = [];
  try {
    for (const start of ['first start', 'restart']) {
      const startedAt = performance.now();
      const aio = spawn(process.execPath, [OVERCAST, 'aio'], { env: childEnv(dataDir, ports), stdio: 'ignore' });
      try {
        await waitUntilAnswering(aio, urls);
        const seconds = (performance.now() - startedAt) / 1000;
        // Idle means after start-up settles: give the collector a few quiet seconds.
        await new Promise((resolve) => setTimeout(resolve, 5000));
        const memory = await memoryOf(aio.pid as number);
        lines.push(`| all-in-one ${start} | ${seconds.toFixed(2)} s to all 5 APIs answering | idle RSS ${mib(memory.rss)} (peak ${mib(memory.peak)}) |`);
      } finally {
        await stop(aio);
      }
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
  return lines;
}

interface Load {
  title: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
}

async function load(baseUrl: string, spec: Load, connections: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${baseUrl}${spec.path}`,
    method: spec.method,
    headers: spec.headers,
    body: spec.body,
    connections,
    duration: DURATION_SECONDS,
  });
}

function row(title: string, connections: number, result: autocannon.Result): string {
  const failures = result.non2xx + result.errors + result.timeouts;
  const rate = result.requests.total / result.duration;
  return `| ${title} | ${connections} | ${rate.toFixed(1)} | ${result.latency.p50} ms | ${result.latency.p99} ms | ${failures} |`;
}

async function benchIdentity(): Promise<string[]> {
  const database = await createTestDatabase('overcast_bench');
  const dataDir = await mkdtemp(join(tmpdir(), 'overcast-bench-identity-'));
  const ports = Object.fromEntries(await Promise.all(SERVICES.map(async (service) => [service, await freePort()] as const)));
  const env = childEnv(dataDir, ports, {
    OVERCAST_IDENTITY_DATABASE_URL: database.url,
    ...Object.fromEntries(SERVICES.filter((service) => service !== 'identity').map((service) => [`OVERCAST_${service.toUpperCase().replace('-', '_')}_SERVICE_PASSWORD`, `${service}-bench`])),
  });
  const baseUrl = `http://127.0.0.1:${ports['identity']}`;
  let identity: ChildProcess | undefined;
  try {
    await run(process.execPath, [OVERCAST, 'db', 'sync', 'identity'], { env });
    await run(process.execPath, [OVERCAST, 'bootstrap'], { env });
    identity = spawn(process.execPath, [OVERCAST, 'serve', 'identity'], { env, stdio: 'ignore' });
    await waitUntilAnswering(identity, [`${baseUrl}/v3`]);

    const issue: Load = {
      title: 'token issue (password, project scope)',
      method: 'POST',
      path: '/v3/auth/tokens',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: {
          identity: { methods: ['password'], password: { user: { name: 'admin', domain: { id: 'default' }, password: ADMIN_PASSWORD } } },
          scope: { project: { name: 'admin', domain: { id: 'default' } } },
        },
      }),
    };
    const issued = await fetch(`${baseUrl}${issue.path}`, { method: 'POST', headers: issue.headers, body: issue.body });
    if (issued.status !== 201) {
      throw new Error(`token issue answered ${issued.status}: ${await issued.text()}`);
    }
    const token = issued.headers.get('x-subject-token') as string;
    const validate: Load = { title: 'token validation (GET /v3/auth/tokens)', method: 'GET', path: '/v3/auth/tokens', headers: { 'x-auth-token': token, 'x-subject-token': token } };

    const rows: string[] = [];
    for (const spec of [issue, validate]) {
      for (const connections of [1, 8, 32]) {
        rows.push(row(spec.title, connections, await load(baseUrl, spec, connections)));
      }
    }
    const [issuing, validating] = await Promise.all([load(baseUrl, issue, 8), load(baseUrl, validate, 8)]);
    rows.push(row('mixed: token issue', 8, issuing), row('mixed: token validation, meanwhile', 8, validating));
    const memory = await memoryOf(identity.pid as number);
    return [
      `| load (${DURATION_SECONDS} s each, autocannon, same 2-core machine) | connections | req/s | p50 | p99 | non-2xx/errors |`,
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      `identity process: peak RSS ${mib(memory.peak)}, RSS after the load ${mib(memory.rss)}`,
    ];
  } finally {
    if (identity) {
      await stop(identity);
    }
    await database.drop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log('| all-in-one (embedded defaults) | start-up | memory |\n|---|---|---|');
  for (const line of await benchAllInOne()) {
    console.log(line);
  }
  console.log('');
  for (const line of await benchIdentity()) {
    console.log(line);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
