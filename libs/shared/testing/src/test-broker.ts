import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

/** The real RabbitMQ the integration tests use (guest on this machine and in CI). */
export const TEST_AMQP_URL = process.env['OVERCAST_TEST_TRANSPORT_URL'] ?? 'amqp://guest:guest@127.0.0.1:5672';

export interface TestVhost {
  /** The broker URL with the vhost as its path. */
  url: string;
  drop(): Promise<void>;
}

const rabbitmqctl = (...args: string[]) => promisify(execFile)('rabbitmqctl', ['-q', ...args], { timeout: 60_000 });

/** A fresh RabbitMQ virtual host, so tests on the broker run in parallel without seeing each other's messages. */
export async function createTestVhost(prefix = 'overcast-test'): Promise<TestVhost> {
  const name = `${prefix}-${randomBytes(6).toString('hex')}`;
  const url = new URL(TEST_AMQP_URL);
  await rabbitmqctl('add_vhost', name);
  try {
    await rabbitmqctl('set_permissions', '-p', name, decodeURIComponent(url.username), '.*', '.*', '.*');
  } catch (error) {
    await rabbitmqctl('delete_vhost', name);
    throw error;
  }
  url.pathname = `/${encodeURIComponent(name)}`;
  return { url: url.toString(), drop: () => rabbitmqctl('delete_vhost', name).then(() => undefined) };
}
