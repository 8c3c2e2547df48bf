import {
  type BootImage,
  COMPUTE_AGENT_PATTERNS,
  COMPUTE_SERVER_TOPIC,
  type ComputeAgentReport,
  computeAgentTopic,
  INSTANCE_NOT_FOUND,
  type InstanceOperation,
  type InstanceOutcome,
  type InstanceSpec,
  POWER_STATE,
} from '@overcast/compute/contracts';
import { FakeHypervisorDriver, type FakeHypervisorOptions, type ImageFetcher } from '@overcast/compute/drivers';
import { BusRemoteError, createMessageBus, type MessageBus } from '@overcast/shared/bus';
import { commonSettings, createLogger, loadConfig } from '@overcast/shared/core';
import { eventually, ImageDataServer } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { ComputeAgent } from './compute-agent';
import { computeAgentSettings } from './compute-agent.config';
import { startComputeAgent } from './run-compute-agent';

const HOST = 'compute1';
const HOST_IP = '192.0.2.11';
const TOKEN = 'gAAAAABsecret-token-of-the-requester';
const DISK_BYTES = Buffer.from('the bytes of a tiny qcow2 image\n'.repeat(100));
const KERNEL_BYTES = Buffer.from('a kernel\n');
const patterns = COMPUTE_AGENT_PATTERNS;

/** A fake hypervisor that reads the images it is given, records its clean-ups and stop, and can be held in the middle of a spawn. */
class RecordingDriver extends FakeHypervisorDriver {
  /** Image id → the bytes spawn read through the agent's fetcher. */
  readonly imageData = new Map<string, Buffer>();
  readonly events: string[] = [];
  private gate = Promise.resolve();
  letGo = (): void => undefined;

  constructor(options: Partial<FakeHypervisorOptions> = {}) {
    super({ hostname: HOST, ...options });
  }

  hold(): void {
    this.gate = new Promise((resolve) => (this.letGo = resolve));
  }

  // The fake's own spawn takes no fetcher: this one reads through what the agent gives.
  override async spawn(instance: InstanceSpec, images?: ImageFetcher): Promise<void> {
    this.events.push(`spawn ${instance.id}`);
    await this.gate;
    for (const image of [instance.image, instance.image?.kernel]) {
      if (image && images) {
        this.imageData.set(image.id, await buffer(await images.open(image)));
      }
    }
    await super.spawn(instance);
    this.events.push(`spawned ${instance.id}`);
  }

  override async destroy(instance: InstanceSpec): Promise<void> {
    this.events.push(`destroy ${instance.id}`);
    await super.destroy(instance);
  }

  override async stop(): Promise<void> {
    this.events.push('stop');
  }
}

describe('ComputeAgent', () => {
  let bus: MessageBus;
  let agent: ComputeAgent;
  let driver: RecordingDriver;
  let images: ImageDataServer;
  const reports: ComputeAgentReport[] = [];
  const outcomes: InstanceOutcome[] = [];
  const logged: string[] = [];
  const log = (...args: unknown[]) => void logged.push(JSON.stringify(args));
  const logger = { info: log, warn: log, error: log };

  async function startAgent(options: { driver?: RecordingDriver; stopGraceSeconds?: number } = {}): Promise<void> {
    driver = options.driver ?? new RecordingDriver();
    const settings = computeAgentSettings.parse({ driver: 'fake', hostIp: HOST_IP, reportIntervalSeconds: 1, stopGraceSeconds: options.stopGraceSeconds });
    agent = new ComputeAgent(bus, { ...settings, host: HOST }, driver, logger);
    await agent.start();
  }

  const outcomesOf = (instanceId: string) => outcomes.filter((outcome) => outcome.instanceId === instanceId);

  async function outcomeOf(operation: InstanceOperation, instanceId: string): Promise<InstanceOutcome | undefined> {
    const outcome = await eventually(
      async () => outcomesOf(instanceId).find((seen) => seen.operation === operation),
      (seen) => seen !== undefined,
    );
    return outcome;
  }

  /** The instance in the reports sent after `after` of them, once one holds it as `check` wants. */
  async function reportedInstance(instanceId: string, after: number, check: (powerState: number | undefined) => boolean): Promise<number | undefined> {
    const powerState = async () => reports.slice(after).at(-1)?.instances.find((instance) => instance.id === instanceId)?.powerState;
    return eventually(powerState, check);
  }

  const cast = (pattern: string, payload: unknown) => bus.cast(computeAgentTopic(HOST), pattern, payload);
  const bootImage = (id = 'cirros', kernel?: string): BootImage => ({
    id,
    diskFormat: 'qcow2',
    size: DISK_BYTES.length,
    fileUrl: images.fileUrl(id),
    kernel: kernel === undefined ? undefined : { id: kernel, diskFormat: 'aki', size: KERNEL_BYTES.length, fileUrl: images.fileUrl(kernel) },
    properties: {},
  });
  const newInstance = (image?: BootImage): InstanceSpec => ({ id: randomUUID(), name: 'vm', vcpus: 2, memoryMb: 512, rootGb: 1, ephemeralGb: 0, swapMb: 0, image, vifs: [], blockDevices: [] });

  async function built(): Promise<InstanceSpec> {
    const instance = newInstance();
    await cast(patterns.build, { instance });
    expect(await outcomeOf('build', instance.id)).toEqual({ operation: 'build', instanceId: instance.id, host: HOST, powerState: POWER_STATE.RUNNING });
    return instance;
  }

  beforeEach(async () => {
    reports.length = 0;
    outcomes.length = 0;
    logged.length = 0;
    bus = await createMessageBus(`memory://compute-agent-${randomUUID()}`);
    await bus.serve(COMPUTE_SERVER_TOPIC, {
      [patterns.report]: (report: ComputeAgentReport) => void reports.push(report),
      [patterns.operationDone]: (outcome: InstanceOutcome) => void outcomes.push(outcome),
    });
    images = new ImageDataServer({ cirros: DISK_BYTES, vmlinuz: KERNEL_BYTES }, TOKEN);
    await images.start();
  });

  afterEach(async () => {
    driver.letGo();
    await agent.stop();
    await bus.close();
    await images.stop();
  });

  it('reports at start what the host has, what it holds and how block storage reaches it', async () => {
    await startAgent();
    const [report] = await eventually(async () => reports, (seen) => seen.length > 0);
    expect(report).toEqual({
      host: HOST,
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      inventory: expect.objectContaining({ hypervisorType: 'fake', hypervisorHostname: HOST, vcpus: 8, memoryMb: 16384, localGb: 200, vcpusUsed: 0, hostIp: HOST_IP }),
      instances: [],
      connector: { host: HOST, ip: HOST_IP, platform: 'x86_64', os_type: 'linux', multipath: false },
    });
    expect(agent.describe()).toBe(`fake on ${HOST}: fake (the fake driver runs no guests)`);
  });

  it("builds an instance from its images, fetched with the requester's token, and reports it running", async () => {
    await startAgent();
    const instance = newInstance(bootImage('cirros', 'vmlinuz'));
    const reportsBefore = reports.length;
    await cast(patterns.build, { instance, authToken: TOKEN });
    expect(await outcomeOf('build', instance.id)).toEqual({ operation: 'build', instanceId: instance.id, host: HOST, powerState: POWER_STATE.RUNNING });
    expect(driver.imageData.get('cirros')).toEqual(DISK_BYTES);
    expect(driver.imageData.get('vmlinuz')).toEqual(KERNEL_BYTES);
    expect(await reportedInstance(instance.id, reportsBefore, (state) => state !== undefined)).toBe(POWER_STATE.RUNNING);
    expect(reports.at(-1)?.inventory?.vcpusUsed).toBe(2);
    expect(logged.join('\n')).not.toContain(TOKEN);
  });

  it('reports a failed build with its reason and leaves nothing on the host', async () => {
    await startAgent({ driver: new RecordingDriver({ spawnFailure: 'no room for the guest' }) });
    const instance = newInstance();
    await cast(patterns.build, { instance });
    expect(await outcomeOf('build', instance.id)).toEqual({ operation: 'build', instanceId: instance.id, host: HOST, error: 'no room for the guest' });
    expect(driver.events).toEqual([`spawn ${instance.id}`, `destroy ${instance.id}`]);
    expect(await driver.listInstances()).toEqual([]);
  });

  it('refuses a second build of an instance the host holds without destroying it', async () => {
    await startAgent();
    const instance = await built();
    await cast(patterns.build, { instance });
    await eventually(async () => outcomesOf(instance.id), (seen) => seen.length === 2);
    expect(outcomesOf(instance.id)[1]).toEqual({ operation: 'build', instanceId: instance.id, host: HOST, error: `instance ${instance.id} already exists on host ${HOST}`, powerState: POWER_STATE.RUNNING });
    expect(driver.events).not.toContain(`destroy ${instance.id}`);
  });

  it('reports an image it cannot fetch, and never the token', async () => {
    await startAgent();
    const refused = newInstance(bootImage());
    await cast(patterns.build, { instance: refused, authToken: 'an-expired-token' });
    expect((await outcomeOf('build', refused.id))?.error).toBe('downloading image cirros failed: the image service answered 401 Unauthorized: The token *** is not valid.');
    expect(logged.join('\n')).toContain('401 Unauthorized');
    expect(logged.join('\n')).not.toContain('an-expired-token');

    const missing = newInstance(bootImage('no-such-image'));
    await cast(patterns.build, { instance: missing, authToken: TOKEN });
    expect((await outcomeOf('build', missing.id))?.error).toBe('downloading image no-such-image failed: the image service answered 404 Not Found');
    expect(await driver.listInstances()).toEqual([]);
  });

  it('runs the operations on one instance in the order they came, and on others meanwhile', async () => {
    await startAgent();
    const [slow, other] = [newInstance(), newInstance()];
    driver.hold();
    await cast(patterns.build, { instance: slow });
    await cast(patterns.powerOff, { instance: slow });
    await eventually(async () => driver.events, (events) => events.includes(`spawn ${slow.id}`));
    await cast(patterns.build, { instance: other });
    // The other build is held too: let go once it is waiting, then both end, each in its order.
    await eventually(async () => driver.events, (events) => events.includes(`spawn ${other.id}`));
    expect(outcomes).toEqual([]);
    driver.letGo();
    await eventually(async () => outcomesOf(slow.id), (seen) => seen.length === 2);
    expect(outcomesOf(slow.id).map((outcome) => [outcome.operation, outcome.powerState, outcome.error])).toEqual([
      ['build', POWER_STATE.RUNNING, undefined],
      ['power-off', POWER_STATE.SHUTDOWN, undefined],
    ]);
    expect(await outcomeOf('build', other.id)).toEqual({ operation: 'build', instanceId: other.id, host: HOST, powerState: POWER_STATE.RUNNING });
  });

  it('reports the power state each power operation leaves, and refuses what the hypervisor refuses', async () => {
    await startAgent();
    const instance = await built();
    const sequence = [
      [patterns.powerOff, {}],
      [patterns.powerOn, {}],
      [patterns.reboot, { type: 'SOFT' }],
      [patterns.pause, {}],
      [patterns.unpause, {}],
      [patterns.suspend, {}],
      [patterns.resume, {}],
      [patterns.reboot, { type: 'HARD' }],
      // The guest runs: there is nothing to unpause.
      [patterns.unpause, {}],
    ] as const;
    for (const [pattern, extra] of sequence) {
      await cast(pattern, { instance, ...extra });
    }
    await eventually(async () => outcomesOf(instance.id), (seen) => seen.length === 1 + sequence.length);
    const { RUNNING, SHUTDOWN, PAUSED, SUSPENDED } = POWER_STATE;
    expect(outcomesOf(instance.id).map((outcome) => [outcome.operation, outcome.powerState, outcome.error])).toEqual([
      ['build', RUNNING, undefined],
      ['power-off', SHUTDOWN, undefined],
      ['power-on', RUNNING, undefined],
      ['reboot', RUNNING, undefined],
      ['pause', PAUSED, undefined],
      ['unpause', RUNNING, undefined],
      ['suspend', SUSPENDED, undefined],
      ['resume', RUNNING, undefined],
      ['reboot', RUNNING, undefined],
      ['unpause', RUNNING, `cannot unpause instance ${instance.id}: its power state is ${RUNNING}`],
    ]);

    await cast(patterns.destroy, { instance });
    expect(await outcomeOf('destroy', instance.id)).toEqual({ operation: 'destroy', instanceId: instance.id, host: HOST });
    expect(await driver.listInstances()).toEqual([]);
  });

  it('rebuilds a guest from another image in place, and leaves a stopped one stopped', async () => {
    await startAgent();
    const instance = await built();
    const rebuilt = { ...instance, image: bootImage('vmlinuz') };
    await cast(patterns.rebuild, { instance: rebuilt, authToken: TOKEN });
    expect(await outcomeOf('rebuild', instance.id)).toEqual({ operation: 'rebuild', instanceId: instance.id, host: HOST, powerState: POWER_STATE.RUNNING });
    expect(driver.events.slice(-3)).toEqual([`destroy ${instance.id}`, `spawn ${instance.id}`, `spawned ${instance.id}`]);
    expect(driver.imageData.get('vmlinuz')).toEqual(KERNEL_BYTES);

    await cast(patterns.rebuild, { instance: rebuilt, authToken: TOKEN, stopAfter: true });
    await eventually(async () => outcomesOf(instance.id), (seen) => seen.filter((outcome) => outcome.operation === 'rebuild').length === 2);
    expect(outcomesOf(instance.id).at(-1)).toEqual({ operation: 'rebuild', instanceId: instance.id, host: HOST, powerState: POWER_STATE.SHUTDOWN });
  });

  it('attaches and detaches volumes and interfaces, naming the volume or port in the outcome', async () => {
    await startAgent();
    const instance = await built();
    const blockDevice = { volumeId: randomUUID(), deviceName: 'vdb', connectionInfo: { driver_volume_type: 'fake', data: {} } };
    const vif = { portId: randomUUID(), networkId: randomUUID(), macAddress: 'fa:16:3e:00:00:01', vifType: 'bridge', devName: 'tap12345678-9a' };
    await cast(patterns.attachVolume, { instance, blockDevice });
    await cast(patterns.attachVolume, { instance, blockDevice });
    await cast(patterns.detachVolume, { instance, blockDevice });
    await cast(patterns.attachInterface, { instance, vif });
    await cast(patterns.detachInterface, { instance, vif });
    await eventually(async () => outcomesOf(instance.id), (seen) => seen.length === 6);
    const { RUNNING } = POWER_STATE;
    expect(outcomesOf(instance.id).slice(1)).toEqual([
      { operation: 'attach-volume', instanceId: instance.id, host: HOST, resourceId: blockDevice.volumeId, powerState: RUNNING },
      {
        operation: 'attach-volume',
        instanceId: instance.id,
        host: HOST,
        resourceId: blockDevice.volumeId,
        powerState: RUNNING,
        error: `volume ${blockDevice.volumeId} is already attached to instance ${instance.id}`,
      },
      { operation: 'detach-volume', instanceId: instance.id, host: HOST, resourceId: blockDevice.volumeId, powerState: RUNNING },
      { operation: 'attach-interface', instanceId: instance.id, host: HOST, resourceId: vif.portId, powerState: RUNNING },
      { operation: 'detach-interface', instanceId: instance.id, host: HOST, resourceId: vif.portId, powerState: RUNNING },
    ]);
  });

  it("answers console output calls, and names an instance it does not hold as the service's not-found", async () => {
    await startAgent();
    const instance = await built();
    await expect(bus.call(computeAgentTopic(HOST), patterns.consoleOutput, { instance })).resolves.toEqual({ output: `fake guest ${instance.id} booted\n` });

    const elsewhere = newInstance();
    const refusal = bus.call(computeAgentTopic(HOST), patterns.consoleOutput, { instance: elsewhere, length: 10 });
    await expect(refusal).rejects.toBeInstanceOf(BusRemoteError);
    await expect(refusal).rejects.toMatchObject({ remoteName: INSTANCE_NOT_FOUND, message: `instance ${elsewhere.id} is not on host ${HOST}` });
  });

  it('reports a guest that stopped outside Overcast as shut down', async () => {
    await startAgent();
    const instance = await built();
    const reportsBefore = reports.length;
    driver.setPowerState(instance.id, POWER_STATE.SHUTDOWN);
    expect(await reportedInstance(instance.id, reportsBefore, (state) => state === POWER_STATE.SHUTDOWN)).toBe(POWER_STATE.SHUTDOWN);
  });

  it("uploads a snapshot's data to the image with the requester's token, and removes the image when the snapshot fails", async () => {
    await startAgent();
    const instance = await built();
    await cast(patterns.snapshot, { instance, authToken: TOKEN, imageId: 'snap', diskFormat: 'qcow2', fileUrl: images.fileUrl('snap') });
    expect(await outcomeOf('snapshot', instance.id)).toEqual({ operation: 'snapshot', instanceId: instance.id, host: HOST, powerState: POWER_STATE.RUNNING });
    expect(images.uploads.get('snap')).toEqual({ contentType: 'application/octet-stream', body: Buffer.from(`fake disk of ${instance.id}\n`) });

    const gone = newInstance();
    await cast(patterns.snapshot, { instance: gone, authToken: TOKEN, imageId: 'doomed', diskFormat: 'qcow2', fileUrl: images.fileUrl('doomed') });
    expect((await outcomeOf('snapshot', gone.id))?.error).toBe(`instance ${gone.id} is not on ${HOST}`);
    expect(images.deleted).toEqual(['doomed']);
  });

  it('finishes and reports the operation under way before it stops the driver', async () => {
    await startAgent();
    const instance = newInstance(bootImage());
    driver.hold();
    await cast(patterns.build, { instance, authToken: TOKEN });
    await eventually(async () => driver.events, (events) => events.includes(`spawn ${instance.id}`));
    const stopping = agent.stop();
    // Let go only once the agent is stopping; the spawn then still fetches its image over HTTP.
    driver.letGo();
    await stopping;
    expect(driver.events).toEqual([`spawn ${instance.id}`, `spawned ${instance.id}`, 'stop']);
    expect(await outcomeOf('build', instance.id)).toEqual({ operation: 'build', instanceId: instance.id, host: HOST, powerState: POWER_STATE.RUNNING });
  });

  it('stops after the grace period even when an operation hangs', async () => {
    await startAgent({ stopGraceSeconds: 0 });
    const instance = newInstance();
    driver.hold();
    await cast(patterns.build, { instance });
    await eventually(async () => driver.events, (events) => events.includes(`spawn ${instance.id}`));
    await agent.stop();
    expect(driver.events).toEqual([`spawn ${instance.id}`, 'stop']);
    expect(logged.join('\n')).toContain('stopping with 1 operation(s) still under way after 0 s');
  });

  it('reports a hypervisor that cannot start as unusable, and refuses work with why', async () => {
    class BrokenDriver extends RecordingDriver {
      override async start(): Promise<void> {
        throw new Error('libvirtd is not running');
      }
    }
    await startAgent({ driver: new BrokenDriver() });
    const [report] = await eventually(async () => reports, (seen) => seen.length > 0);
    expect(report).toMatchObject({ host: HOST, problem: 'libvirtd is not running', instances: [] });
    expect(report.inventory).toBeUndefined();
    expect(agent.describe()).toBe(`fake on ${HOST}: unusable: libvirtd is not running`);
    const instance = newInstance();
    await cast(patterns.build, { instance });
    expect(await outcomeOf('build', instance.id)).toEqual({ operation: 'build', instanceId: instance.id, host: HOST, error: `the fake hypervisor of host ${HOST} is unusable: libvirtd is not running` });
  });
});

describe('startComputeAgent', () => {
  it('serves the host with the driver its config names, on its own connection to the bus', async () => {
    const transportUrl = `memory://compute-agent-${randomUUID()}`;
    const common = { ...loadConfig(commonSettings, '', { env: {} }), transportUrl, host: 'compute9' };
    const bus = await createMessageBus(transportUrl);
    const reports: ComputeAgentReport[] = [];
    await bus.serve(COMPUTE_SERVER_TOPIC, { [patterns.report]: (report: ComputeAgentReport) => void reports.push(report) });
    const running = await startComputeAgent(common, { env: { OVERCAST_COMPUTE_AGENT_DRIVER: 'fake', OVERCAST_COMPUTE_AGENT_FAKE_VCPUS: '4' } }, createLogger({ level: 'silent' }));
    try {
      expect(running.agent.describe()).toBe('fake on compute9: fake (the fake driver runs no guests)');
      const [report] = await eventually(async () => reports, (seen) => seen.length > 0);
      expect(report.inventory).toMatchObject({ hypervisorHostname: 'compute9', vcpus: 4 });
    } finally {
      await running.close();
      await bus.close();
    }
  });
});

describe('computeAgentSettings', () => {
  it('has defaults for every setting', () => {
    expect(loadConfig(computeAgentSettings, 'compute-agent', { env: {} })).toMatchObject({
      driver: 'libvirt',
      libvirt: { uri: 'qemu:///system' },
      fake: { vcpus: 8, memoryMb: 16384, localGb: 200 },
      hostIp: '127.0.0.1',
      reportIntervalSeconds: 10,
      stopGraceSeconds: 60,
    });
  });

  it('refuses an unknown driver, naming the setting and the choices', () => {
    expect(() => loadConfig(computeAgentSettings, 'compute-agent', { env: { OVERCAST_COMPUTE_AGENT_DRIVER: 'hyperv' } })).toThrow(
      'invalid setting compute-agent.driver (env OVERCAST_COMPUTE_AGENT_DRIVER): must be one of libvirt, fake',
    );
  });
});
