// Identity benchmark: prints figures, asserts nothing (issue 2 §6).
//   npm run bench:identity        (needs PostgreSQL at $OVERCAST_TEST_DATABASE_URL or 127.0.0.1:5432)
// 1. The all-in-one (embedded defaults): time from spawn to all five APIs answering, and idle RSS,
//    on a first start (migrations + bootstrap) and on a restart of the same data dir.
// 2. `overcast serve identity` as its own process on real PostgreSQL, loaded with autocannon:
//    token issue (password) and token validation at concurrency 1, 8 and 32, then both at once
//    (validation latency while argon2 hashes at full speed), and the process's peak RSS.
import autocannon from 'autocannon';
import { envName } from '@overcast/shared/core';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_SERVICES, cleanEnvironment, createTestDatabase, freePort, overcast, passwordAuthRequest, startOvercast, waitForOutput, waitUntilHealthy } from '@overcast/shared/testing';
import { type Daemon } from '@overcast/shared/testing';

const ADMIN_PASSWORD = 'bench-admin-password';
const DURATION_SECONDS = Number(process.env['BENCH_DURATION'] ?? 10);

/** Environment for an `overcast` child: a data dir, a free port per service, quiet logs. */
async function childEnv(dataDir: string, extra: Record<string, string> = {}): Promise<{ env: Record<string, string>; urls: Record<string, string> }> {
  const env: Record<string, string> = { ...cleanEnvironment(), OVERCAST_DATA_DIR: dataDir, OVERCAST_ADMIN_PASSWORD: ADMIN_PASSWORD, OVERCAST_LOG_LEVEL: 'warn', ...extra };
  const urls: Record<string, string> = {};
  for (const service of API_SERVICES) {
    const port = await freePort();
    env[envName(service, ['port'])] = String(port);
    urls[service] = `http://127.0.0.1:${port}`;
  }
  return { env, urls };
}

/** VmRSS (current) and VmHWM (peak) of a process, in MiB. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) / 1024;
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

const mib = (value: number) => `${value.toFixed(0)} MiB`;

/** Start-up until the all-in-one says it is up: bootstrapped (first start) and all five APIs listening. */
async function benchAllInOne(): Promise<string[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'overcast-bench-aio-'));
  const { env, urls } = await childEnv(dataDir);
  const lines: string[] = [];
  try {
    for (const start of ['first start', 'restart']) {
      const startedAt = performance.now();
      const aio = startOvercast('aio', ['aio'], env);
      try {
        await waitForOutput(aio, 'is up in', 120_000);
        const seconds = (performance.now() - startedAt) / 1000;
        const answering = await Promise.all(Object.values(urls).map(async (url) => (await fetch(url)).status < 500));
        if (answering.includes(false)) {
          throw new Error('the all-in-one said it was up, but not every API answers');
        }
        // Idle means after start-up settles: give the collector a few quiet seconds.
        await new Promise((resolve) => setTimeout(resolve, 5000));
        const memory = await memoryOf(aio.pid);
        lines.push(`| all-in-one ${start} | ${seconds.toFixed(2)} s to all 5 APIs answering | idle RSS ${mib(memory.rss)} (peak ${mib(memory.peak)}) |`);
      } finally {
        await aio.stop();
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
  const { env, urls } = await childEnv(dataDir, {
    OVERCAST_IDENTITY_DATABASE_URL: database.url,
    ...Object.fromEntries(API_SERVICES.filter((service) => service !== 'identity').map((service) => [envName(service, ['servicePassword']), `${service}-bench`])),
  });
  const baseUrl = urls['identity'] as string;
  let identity: Daemon | undefined;
  try {
    await overcast(['db', 'sync', 'identity'], env);
    await overcast(['bootstrap'], env);
    identity = startOvercast('identity', ['serve', 'identity'], env);
    await waitUntilHealthy(identity, baseUrl, 60_000);

    const issue: Load = {
      title: 'token issue (password, project scope)',
      method: 'POST',
      path: '/v3/auth/tokens',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')),
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
    const memory = await memoryOf(identity.pid);
    return [
      `| load (${DURATION_SECONDS} s each, autocannon, same 2-core machine) | connections | req/s | p50 | p99 | non-2xx/errors |`,
      '|---|---|---|---|---|---|',
      ...rows,
      '',
      `identity process: peak RSS ${mib(memory.peak)}, RSS after the load ${mib(memory.rss)}`,
    ];
  } finally {
    await identity?.stop();
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
