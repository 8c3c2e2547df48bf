import { type ApiClient, eventually, type Json } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { expectNovaError, type FakeHost, startTestCompute, type TestCaller, type TestCompute } from './compute-harness';

const ALICE: TestCaller = { projectId: 'alice-project', roles: ['member'], userId: 'alice' };
const BOB: TestCaller = { projectId: 'bob-project', roles: ['member'], userId: 'bob' };
const ADMIN: TestCaller = { projectId: 'admin-project', roles: ['admin'], userId: 'admin' };

describe('compute API: server interfaces and security groups on a fake host', () => {
  let compute: TestCompute;
  let alice: ApiClient;
  let bob: ApiClient;
  /** Alice's and the admin's clients of the network service. */
  let network: ApiClient;
  let adminNetwork: ApiClient;
  let host: FakeHost;
  let imageId: string;
  let netA: Json;
  let netB: Json;

  const waitForStatus = async (id: string, status: string) => {
    const server = await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).body?.server, (body: Json) => body?.status === status, 10_000);
    expect(server?.status).toBe(status);
    return server as Json;
  };
  const makeNetwork = async (name: string, cidr: string) => {
    const made = (await network.post('/v2.0/networks', { network: { name } })).body.network;
    expect((await network.post('/v2.0/subnets', { subnet: { network_id: made.id, cidr, ip_version: 4 } })).status).toBe(201);
    return made as Json;
  };
  const bootOn = async (name: string, networkId: string) => {
    const created = await alice.post('/v2.1/servers', { server: { name, imageRef: imageId, flavorRef: 'tiny', networks: [{ uuid: networkId }] } });
    expect(created.status).toBe(202);
    return (await waitForStatus(created.body.server.id, 'ACTIVE')).id as string;
  };
  const deleteServer = async (id: string) => {
    expect((await alice.delete(`/v2.1/servers/${id}`)).status).toBe(204);
    expect(await eventually(async () => (await alice.get(`/v2.1/servers/${id}`)).status, (code) => code === 404)).toBe(404);
  };
  /** The ports the fake hypervisor holds plugged into the guest: its own record, which it offers no accessor for. */
  const guestPorts = (id: string) => (host.driver as unknown as { instances: Map<string, { ports: Set<string> }> }).instances.get(id)?.ports;
  const pluggedPorts = async (id: string) => [...(guestPorts(id) ?? [])].sort();
  const interfaces = (id: string) => alice.get(`/v2.1/servers/${id}/os-interface`);

  beforeAll(async () => {
    compute = await startTestCompute();
    alice = await compute.client(ALICE);
    bob = await compute.client(BOB);
    const admin = await compute.client(ADMIN);
    network = compute.networkApi.as(await compute.token(ALICE));
    adminNetwork = compute.networkApi.as(await compute.token(ADMIN));
    expect((await admin.post('/v2.1/flavors', { flavor: { name: 'm1.tiny', id: 'tiny', vcpus: 1, ram: 128, disk: 1 } })).status).toBe(200);
    imageId = await compute.uploadImage(ALICE);
    host = await compute.startFakeHost('host-a');
    netA = await makeNetwork('net-a', '10.30.0.0/24');
    netB = await makeNetwork('net-b', '10.40.0.0/24');
  }, 60_000);

  afterAll(async () => {
    await compute?.close();
  });

  it('hot-plugs a port made on a network, bound to the host, shown in the addresses, and deletes it on detach', async () => {
    const id = await bootOn('plugged', netA.id);
    const [bootPort] = (await interfaces(id)).body.interfaceAttachments;
    expect(bootPort).toEqual({ net_id: netA.id, port_id: expect.any(String), mac_addr: expect.any(String), port_state: expect.any(String), fixed_ips: [{ subnet_id: expect.any(String), ip_address: expect.stringMatching(/^10\.30\.0\./) }] });

    const attached = await alice.post(`/v2.1/servers/${id}/os-interface`, { interfaceAttachment: { net_id: netB.id, fixed_ips: [{ ip_address: '10.40.0.50' }] } });
    expect(attached.status).toBe(200);
    const attachment = attached.body.interfaceAttachment;
    expect(attachment).toMatchObject({ net_id: netB.id, port_id: expect.any(String), mac_addr: expect.any(String), fixed_ips: [{ subnet_id: expect.any(String), ip_address: '10.40.0.50' }] });
    const portId = attachment.port_id as string;

    const port = (await adminNetwork.get(`/v2.0/ports/${portId}`)).body.port;
    expect(port).toMatchObject({ device_id: id, device_owner: 'compute:nova', 'binding:host_id': 'host-a' });
    expect(await eventually(() => pluggedPorts(id), (ports) => ports.includes(portId))).toEqual([bootPort.port_id, portId].sort());
    const server = (await alice.get(`/v2.1/servers/${id}`)).body.server;
    expect(server.addresses['net-b']).toEqual([{ version: 4, addr: '10.40.0.50', 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': attachment.mac_addr }]);
    expect((await interfaces(id)).body.interfaceAttachments.map((listed: Json) => listed.port_id)).toEqual([bootPort.port_id, portId]);
    expect((await alice.get(`/v2.1/servers/${id}/os-interface/${portId}`)).body.interfaceAttachment).toMatchObject({ port_id: portId, net_id: netB.id });
    const actions = await compute.dataSource.query<{ action: string }[]>('SELECT action FROM instance_actions WHERE instance_id = $1 ORDER BY start_time', [id]);
    expect(actions.map((row) => row.action)).toEqual(['create', 'attach_interface']);

    expect((await alice.delete(`/v2.1/servers/${id}/os-interface/${portId}`)).status).toBe(202);
    expect(await eventually(async () => (await network.get(`/v2.0/ports/${portId}`)).status, (code) => code === 404)).toBe(404);
    expect(await pluggedPorts(id)).toEqual([bootPort.port_id]);
    const after = await waitForStatus(id, 'ACTIVE');
    expect(Object.keys(after.addresses)).toEqual(['net-a']);
    expectNovaError(await alice.get(`/v2.1/servers/${id}/os-interface/${portId}`), 404, `Instance ${id} does not have a port with id ${portId}`);
    await deleteServer(id);
  });

  it("plugs the user's own port and leaves it, unbound, when it is unplugged and when the server goes", async () => {
    const id = await bootOn('own-port', netA.id);
    const own = (await network.post('/v2.0/ports', { port: { network_id: netB.id, name: 'mine' } })).body.port;
    const attached = await alice.post(`/v2.1/servers/${id}/os-interface`, { interfaceAttachment: { port_id: own.id } });
    expect(attached.status).toBe(200);
    expect(attached.body.interfaceAttachment).toMatchObject({ port_id: own.id, net_id: netB.id, mac_addr: own.mac_address });
    expect((await adminNetwork.get(`/v2.0/ports/${own.id}`)).body.port).toMatchObject({ device_id: id, 'binding:host_id': 'host-a' });
    expect(await eventually(() => pluggedPorts(id), (ports) => ports.includes(own.id))).toContain(own.id);
    // A port in use cannot be taken again.
    expectNovaError(await alice.post(`/v2.1/servers/${id}/os-interface`, { interfaceAttachment: { port_id: own.id } }), 409, `Port ${own.id} is still in use.`);

    expect((await alice.delete(`/v2.1/servers/${id}/os-interface/${own.id}`)).status).toBe(202);
    const unbound = await eventually(async () => (await adminNetwork.get(`/v2.0/ports/${own.id}`)).body.port, (body: Json) => body?.device_id === '');
    expect(unbound).toMatchObject({ id: own.id, device_id: '', device_owner: '', 'binding:host_id': '' });
    expect(await pluggedPorts(id)).not.toContain(own.id);

    // Plugged again, it survives the server too.
    expect((await alice.post(`/v2.1/servers/${id}/os-interface`, { interfaceAttachment: { port_id: own.id } })).status).toBe(200);
    await deleteServer(id);
    expect((await adminNetwork.get(`/v2.0/ports/${own.id}`)).body.port).toMatchObject({ device_id: '', 'binding:host_id': '' });
    expect((await network.delete(`/v2.0/ports/${own.id}`)).status).toBe(204);
  });

  it('gives the port back when the host fails to plug it', async () => {
    const id = await bootOn('unpluggable', netA.id);
    const own = (await network.post('/v2.0/ports', { port: { network_id: netB.id } })).body.port;
    // The fake refuses a port the guest already holds, as a hypervisor refuses a duplicate device.
    guestPorts(id)?.add(own.id);
    expect((await alice.post(`/v2.1/servers/${id}/os-interface`, { interfaceAttachment: { port_id: own.id } })).status).toBe(200);
    const released = await eventually(async () => (await adminNetwork.get(`/v2.0/ports/${own.id}`)).body.port, (body: Json) => body?.device_id === '');
    expect(released).toMatchObject({ device_id: '', 'binding:host_id': '' });
    expect((await interfaces(id)).body.interfaceAttachments.map((listed: Json) => listed.port_id)).not.toContain(own.id);
    const [event] = await compute.dataSource.query<{ result: string; traceback: string }[]>(
      "SELECT e.result, e.traceback FROM instance_action_events e JOIN instance_actions a ON a.id = e.action_id WHERE a.instance_id = $1 AND a.action = 'attach_interface'",
      [id],
    );
    expect(event).toEqual({ result: 'Error', traceback: expect.stringContaining('already plugged') });
    expect((await alice.get(`/v2.1/servers/${id}`)).body.server.status).toBe('ACTIVE');
    await deleteServer(id);
    expect((await network.delete(`/v2.0/ports/${own.id}`)).status).toBe(204);
  });

  it('refuses bad input with 400s, unknown networks and ports with 404s, and a server not in a state for it with 409s', async () => {
    const id = await bootOn('refusing', netA.id);
    const attach = (body: unknown) => alice.post(`/v2.1/servers/${id}/os-interface`, body);
    expectNovaError(await attach({ interfaceAttachment: { net_id: netB.id, port_id: randomUUID() } }), 400, 'Must not input both network_id and port_id');
    expectNovaError(await attach({ interfaceAttachment: { fixed_ips: [{ ip_address: '10.40.0.9' }] } }), 400, 'Must input network_id when request IP address');
    expectNovaError(await attach({ interfaceAttachment: { net_id: 'not-a-uuid' } }), 400);
    expectNovaError(await attach({ interfaceAttachment: { net_id: netB.id, fixed_ips: [{ ip_address: 'nope' }] } }), 400);
    expectNovaError(await attach({ interfaceAttachment: { net_id: netB.id, bogus: 1 } }), 400);
    // Two networks: the server must say which.
    expectNovaError(await attach({}), 400, 'More than one possible network found. Specify network ID(s) to select which one(s) to connect to.');
    const missingNetwork = randomUUID();
    expectNovaError(await attach({ interfaceAttachment: { net_id: missingNetwork } }), 404, `Network ${missingNetwork} could not be found.`);
    const missingPort = randomUUID();
    expectNovaError(await attach({ interfaceAttachment: { port_id: missingPort } }), 404, `Port id ${missingPort} could not be found.`);
    expectNovaError(await alice.delete(`/v2.1/servers/${id}/os-interface/${missingPort}`), 404, `Port id ${missingPort} could not be found.`);

    expect((await alice.post(`/v2.1/servers/${id}/action`, { suspend: null })).status).toBe(202);
    await waitForStatus(id, 'SUSPENDED');
    expectNovaError(await attach({ interfaceAttachment: { net_id: netB.id } }), 409, `Cannot 'attach_interface' instance ${id} while it is in vm_state suspended`);
    const [bootPort] = (await interfaces(id)).body.interfaceAttachments;
    expectNovaError(await alice.delete(`/v2.1/servers/${id}/os-interface/${bootPort.port_id}`), 409, `Cannot 'detach_interface' instance ${id} while it is in vm_state suspended`);
    expect((await alice.post(`/v2.1/servers/${id}/action`, { resume: null })).status).toBe(202);
    await waitForStatus(id, 'ACTIVE');
    expect((await alice.post(`/v2.1/servers/${id}/action`, { lock: null })).status).toBe(202);
    expectNovaError(await attach({ interfaceAttachment: { net_id: netB.id } }), 409, `Instance ${id} is locked`);
    expect((await alice.post(`/v2.1/servers/${id}/action`, { unlock: null })).status).toBe(202);

    // Nothing was left behind by the refusals: the server has its one port, and so has the network.
    expect((await interfaces(id)).body.interfaceAttachments).toHaveLength(1);
    expect((await network.get(`/v2.0/ports?device_id=${id}`)).body.ports).toHaveLength(1);
    await deleteServer(id);
  });

  it("shows another project nothing of a server's interfaces", async () => {
    const id = await bootOn('private', netA.id);
    const [bootPort] = (await interfaces(id)).body.interfaceAttachments;
    expectNovaError(await bob.get(`/v2.1/servers/${id}/os-interface`), 404, `Instance ${id} could not be found.`);
    expectNovaError(await bob.get(`/v2.1/servers/${id}/os-interface/${bootPort.port_id}`), 404);
    expectNovaError(await bob.post(`/v2.1/servers/${id}/os-interface`, { interfaceAttachment: { net_id: netB.id } }), 404);
    expectNovaError(await bob.delete(`/v2.1/servers/${id}/os-interface/${bootPort.port_id}`), 404);
    // Nor may a member take another project's port.
    const bobNetwork = compute.networkApi.as(await compute.token(BOB));
    const bobNet = (await bobNetwork.post('/v2.0/networks', { network: { name: 'bob-net' } })).body.network;
    const bobPort = (await bobNetwork.post('/v2.0/ports', { port: { network_id: bobNet.id } })).body.port;
    expectNovaError(await alice.post(`/v2.1/servers/${id}/os-interface`, { interfaceAttachment: { port_id: bobPort.id } }), 404);
    expectNovaError(await alice.get(`/v2.1/servers/${randomUUID()}/os-interface`), 404);
    await deleteServer(id);
  });

  it('adds a security group to every port of a server and removes it, as the server view shows', async () => {
    const id = await bootOn('guarded', netA.id);
    const [bootPort] = (await interfaces(id)).body.interfaceAttachments;
    const web = (await network.post('/v2.0/security-groups', { security_group: { name: 'web' } })).body.security_group;
    const portGroups = async () => ((await network.get(`/v2.0/ports/${bootPort.port_id}`)).body.port.security_groups as string[]).sort();
    const before = await portGroups();
    expect(before).toHaveLength(1);

    expect((await alice.post(`/v2.1/servers/${id}/action`, { addSecurityGroup: { name: 'web' } })).status).toBe(202);
    expect(await portGroups()).toEqual([...before, web.id].sort());
    expect((await alice.get(`/v2.1/servers/${id}`)).body.server.security_groups).toEqual([{ name: 'default' }, { name: 'web' }]);

    expect((await alice.post(`/v2.1/servers/${id}/action`, { removeSecurityGroup: { name: 'web' } })).status).toBe(202);
    expect(await portGroups()).toEqual(before);
    expect((await alice.get(`/v2.1/servers/${id}`)).body.server.security_groups).toEqual([{ name: 'default' }]);

    expectNovaError(await alice.post(`/v2.1/servers/${id}/action`, { removeSecurityGroup: { name: 'web' } }), 400, `Security group web not associated with the instance ${id}`);
    expectNovaError(await alice.post(`/v2.1/servers/${id}/action`, { addSecurityGroup: { name: 'no-such-group' } }), 400);
    expectNovaError(await bob.post(`/v2.1/servers/${id}/action`, { addSecurityGroup: { name: 'web' } }), 404);
    await deleteServer(id);
  });
});
