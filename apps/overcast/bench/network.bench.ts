// Network API benchmark: prints figures, asserts nothing (issue 4 §4).
//   npm run bench:network        (as root: the agent wires a simulated host in network namespaces)
//   BENCH_NETWORK_DATABASE_URL=postgres://…/db npm run bench:network   (on PostgreSQL instead of the embedded one)
// Creates 1,000 ports on one network with 16 in flight and prints ports/s with p50/p99 latency,
// then the latency of listing them by network, then how long a port takes from its binding to a
// host (PUT binding:host_id) to ACTIVE, wired by the Linux bridge agent.
import { NetnsLab, passwordAuthRequest, startAllInOne } from '@overcast/shared/testing';
import { setTimeout as delay } from 'node:timers/promises';

const ADMIN_PASSWORD = 'bench-admin-password';
const PORTS = Number(process.env['BENCH_NETWORK_PORTS'] ?? 1000);
const CONCURRENCY = 16;
const LISTS = 20;
const BINDINGS = 20;
const DATABASE_URL = process.env['BENCH_NETWORK_DATABASE_URL'];

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

const ms = (value: number) => `${value.toFixed(1)} ms`;

async function main(): Promise<void> {
  const lab = await NetnsLab.create();
  try {
    await measure(lab);
  } finally {
    await lab.close();
  }
}

async function measure(lab: NetnsLab): Promise<void> {
  const host = await lab.addHost('bench');
  const aio = await startAllInOne(ADMIN_PASSWORD, {
    OVERCAST_HOST: host.name,
    OVERCAST_NETWORK_AGENT_DRIVER: 'linuxbridge',
    OVERCAST_NETWORK_AGENT_TUNNEL_IP: host.tunnelIp,
    OVERCAST_NETWORK_AGENT_TUNNEL_INTERFACE: host.settings.tunnelInterface,
    OVERCAST_NETWORK_AGENT_HOST_NAMESPACE: host.namespace,
    OVERCAST_NETWORK_AGENT_STATE_DIRECTORY: host.settings.stateDirectory,
    ...(DATABASE_URL ? { OVERCAST_NETWORK_DATABASE_URL: DATABASE_URL } : {}),
  });
  try {
    const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
    const token = auth.headers.get('x-subject-token') as string;
    const api = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${aio.urls.network}${path}`, { method, headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!response.ok) {
        throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
      }
      return (await response.json()) as Record<string, Record<string, unknown>>;
    };
    const network = (await api('POST', '/v2.0/networks', { network: { name: 'bench' } }))['network'] as { id: string; project_id: string };
    await api('PUT', `/v2.0/quotas/${network.project_id}`, { quota: { port: -1 } });
    await api('POST', '/v2.0/subnets', { subnet: { network_id: network.id, ip_version: 4, cidr: '10.0.0.0/20' } });

    const createLatencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < PORTS) {
          next += 1;
          const start = performance.now();
          await api('POST', '/v2.0/ports', { port: { network_id: network.id } });
          createLatencies.push(performance.now() - start);
        }
      }),
    );
    const createSeconds = (performance.now() - started) / 1000;

    const listLatencies: number[] = [];
    let listed = 0;
    for (let round = 0; round < LISTS; round++) {
      const start = performance.now();
      listed = ((await api('GET', `/v2.0/ports?network_id=${network.id}`))['ports'] as unknown as unknown[]).length;
      listLatencies.push(performance.now() - start);
    }

    const bindLatencies: number[] = [];
    for (let round = 0; round < BINDINGS; round++) {
      const instance = await lab.addInstance(`vm${round}`);
      const port = (await api('POST', '/v2.0/ports', { port: { network_id: network.id } }))['port'] as { id: string };
      const start = performance.now();
      await api('PUT', `/v2.0/ports/${port.id}`, { port: { 'binding:host_id': host.name, 'binding:profile': { netns: instance.namespace } } });
      // A benchmark may poll: it measures, it does not synchronise a test.
      while (((await api('GET', `/v2.0/ports/${port.id}`))['port'] as { status: string }).status !== 'ACTIVE') {
        await delay(5);
      }
      bindLatencies.push(performance.now() - start);
    }

    console.log(`| network API, all-in-one (${DATABASE_URL ? 'PostgreSQL' : 'embedded PGlite'}), ${PORTS} ports on one network | figure |`);
    console.log('|---|---|');
    console.log(`| port create, ${CONCURRENCY} in flight | ${(PORTS / createSeconds).toFixed(0)} ports/s (p50 ${ms(percentile(createLatencies, 0.5))}, p99 ${ms(percentile(createLatencies, 0.99))}) |`);
    console.log(`| GET /v2.0/ports?network_id=… (${listed} ports) | p50 ${ms(percentile(listLatencies, 0.5))}, p99 ${ms(percentile(listLatencies, 0.99))} |`);
    console.log(`| binding → ACTIVE, Linux bridge agent (${BINDINGS} ports, ${listed} on the network) | p50 ${ms(percentile(bindLatencies, 0.5))}, p99 ${ms(percentile(bindLatencies, 0.99))} |`);
  } finally {
    await aio.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
