import { eventually, type JsonObject, type NetworkCloud, startNetworkCloud } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'compute-e2e-admin';

describe('compute service (Nova v2.1) with the openstack CLI, on the fake hypervisor', () => {
  let cloud: NetworkCloud;
  const cliJson = <T = JsonObject>(args: string[], user = cloud.alice) => cloud.cliJson<T>(args, user);
  const cli = (args: string[], user = cloud.alice) => cloud.cli(args, user);
  /** Polls `show` until `status` leaves its transitional values, and returns what it shows. */
  const settled = (kind: 'server' | 'volume' | 'image', name: string, transitional: string[]) =>
    eventually(
      () => cliJson([kind, 'show', name]),
      (shown) => !transitional.includes(String(shown['status'])),
      60_000,
    );

  beforeAll(async () => {
    cloud = await startNetworkCloud(ADMIN_PASSWORD, { OVERCAST_COMPUTE_AGENT_DRIVER: 'fake' });
    await cloud.cli(['flavor', 'create', '--vcpus', '1', '--ram', '128', '--disk', '1', 'm1.tiny']);
    const image = join(cloud.aio.dataDir, 'tiny.qcow2');
    await run('qemu-img', ['create', '-f', 'qcow2', image, '64M']);
    await cli(['image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare', '--file', image, 'tiny']);
    await cli(['network', 'create', 'net1']);
    await cli(['subnet', 'create', '--network', 'net1', '--subnet-range', '10.0.0.0/24', 'sub1']);
  }, 180_000);

  afterAll(() => cloud?.aio.close());

  it("runs the issue's workflow: keypair, server with user data, console, power actions, a volume, a snapshot, delete", async () => {
    const keyFile = join(cloud.aio.dataDir, 'id_ed25519');
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const keypair = await cliJson(['keypair', 'create', '--public-key', `${keyFile}.pub`, 'k1']);
    expect(keypair['fingerprint']).toMatch(/^([0-9a-f]{2}:){15}[0-9a-f]{2}$/);
    const userData = join(cloud.aio.dataDir, 'init.sh');
    await writeFile(userData, '#!/bin/sh\necho hello from user data\n');

    // --wait exits 0 even when the server ends in ERROR: the status is checked here.
    const created = await cliJson(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'net1', '--key-name', 'k1', '--user-data', userData, '--wait', 'vm1']);
    expect(created['status']).toBe('ACTIVE');
    const server = await cliJson(['server', 'show', 'vm1']);
    expect(server).toMatchObject({ status: 'ACTIVE', key_name: 'k1', config_drive: 'True' });
    expect(JSON.stringify(server['addresses'])).toMatch(/10\.0\.0\.\d+/);
    const port = (await cliJson<JsonObject[]>(['port', 'list', '--server', 'vm1']))[0] as JsonObject;
    expect(port).toBeDefined();

    expect(await cli(['console', 'log', 'show', 'vm1'])).toContain(`fake guest ${String(server['id'])} booted`);

    await cli(['server', 'stop', 'vm1']);
    expect((await settled('server', 'vm1', ['ACTIVE']))['status']).toBe('SHUTOFF');
    await cli(['server', 'start', 'vm1']);
    expect((await settled('server', 'vm1', ['SHUTOFF']))['status']).toBe('ACTIVE');
    await cli(['server', 'reboot', '--wait', 'vm1']);
    expect((await cliJson(['server', 'show', 'vm1']))['status']).toBe('ACTIVE');

    await cli(['volume', 'create', '--size', '1', 'v1']);
    expect((await settled('volume', 'v1', ['creating']))['status']).toBe('available');
    await cli(['server', 'add', 'volume', 'vm1', 'v1']);
    const inUse = await settled('volume', 'v1', ['available', 'reserved', 'attaching']);
    expect(inUse['status']).toBe('in-use');
    expect(JSON.stringify(inUse['attachments'])).toContain(String(server['id']));
    expect(JSON.stringify((await cliJson(['server', 'show', 'vm1']))['volumes_attached'])).toContain(String(inUse['id']));
    await cli(['server', 'remove', 'volume', 'vm1', 'v1']);
    expect((await settled('volume', 'v1', ['in-use', 'detaching']))['status']).toBe('available');

    await cli(['server', 'image', 'create', '--name', 'vm1-snap', 'vm1']);
    const snapshot = await settled('image', 'vm1-snap', ['queued', 'saving']);
    expect(snapshot).toMatchObject({ status: 'active', disk_format: 'qcow2' });

    // Another project sees none of it.
    await expect(cli(['server', 'show', String(server['id'])], cloud.bob)).rejects.toThrow(/No server with a name or ID/);

    await cli(['server', 'delete', '--wait', 'vm1']);
    expect(await cliJson<JsonObject[]>(['server', 'list'])).toEqual([]);
    expect(await cliJson<JsonObject[]>(['port', 'list', '--device-id', String(server['id'])])).toEqual([]);
  }, 300_000);

  it('resizes a server and confirms, then resizes it back and reverts, with the CLI', async () => {
    await cloud.cli(['flavor', 'create', '--vcpus', '2', '--ram', '256', '--disk', '2', 'm1.small']);
    expect((await cliJson(['server', 'create', '--image', 'tiny', '--flavor', 'm1.tiny', '--network', 'net1', '--wait', 'grows']))['status']).toBe('ACTIVE');
    // --wait waits for VERIFY_RESIZE (and exits 0 whatever the end): the status is checked here.
    await cli(['server', 'resize', '--flavor', 'm1.small', '--wait', 'grows']);
    expect(await cliJson(['server', 'show', 'grows'])).toMatchObject({ status: 'VERIFY_RESIZE', flavor: expect.stringContaining('m1.small') });
    await cli(['server', 'resize', 'confirm', 'grows']);
    expect(await settled('server', 'grows', ['VERIFY_RESIZE'])).toMatchObject({ status: 'ACTIVE', flavor: expect.stringContaining('m1.small') });

    await expect(cli(['server', 'resize', '--flavor', 'm1.tiny', 'grows'])).rejects.toThrow('Resizing to a smaller disk flavor is not allowed.');
    await cloud.cli(['flavor', 'create', '--vcpus', '2', '--ram', '384', '--disk', '3', 'm1.medium']);
    await cli(['server', 'resize', '--flavor', 'm1.medium', '--wait', 'grows']);
    expect((await cliJson(['server', 'show', 'grows']))['status']).toBe('VERIFY_RESIZE');
    await cli(['server', 'resize', 'revert', 'grows']);
    expect(await settled('server', 'grows', ['VERIFY_RESIZE', 'REVERT_RESIZE', 'RESIZE'])).toMatchObject({ status: 'ACTIVE', flavor: expect.stringContaining('m1.small') });
    await cli(['server', 'delete', '--wait', 'grows']);
  }, 180_000);

  it('boots a server from a volume and gives the volume back when it is deleted', async () => {
    await cli(['volume', 'create', '--image', 'tiny', '--size', '1', '--bootable', 'bootvol']);
    expect((await settled('volume', 'bootvol', ['creating', 'downloading']))['status']).toBe('available');
    const created = await cliJson(['server', 'create', '--volume', 'bootvol', '--flavor', 'm1.tiny', '--network', 'net1', '--wait', 'vm2']);
    expect(created['status']).toBe('ACTIVE');
    expect((await settled('volume', 'bootvol', ['reserved', 'attaching']))['status']).toBe('in-use');
    expect((await cliJson(['server', 'show', 'vm2']))['image']).toMatch(/N\/A|Attempt to boot from volume/);
    await cli(['server', 'delete', '--wait', 'vm2']);
    expect((await settled('volume', 'bootvol', ['in-use', 'detaching']))['status']).toBe('available');
  }, 180_000);

  it('refuses bad requests in Nova’s words', async () => {
    await expect(cli(['server', 'create', '--image', 'tiny', '--flavor', 'no-such-flavor', '--network', 'net1', 'bad'])).rejects.toThrow(/No flavor with a name or ID of 'no-such-flavor' exists/);
    await expect(cli(['server', 'create', '--image', 'no-such-image', '--flavor', 'm1.tiny', 'bad'])).rejects.toThrow(/No Image found for no-such-image/);
    await expect(cli(['flavor', 'create', '--vcpus', '1', '--ram', '64', '--disk', '0', 'mine'])).rejects.toThrow(/403|Policy doesn't allow/);
  }, 120_000);
});
