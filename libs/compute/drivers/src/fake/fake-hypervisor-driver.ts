import { type BlockDeviceSpec, type FinishMigrationRequest, type HostInventory, type InstanceInfo, type InstanceSpec, type MigratingDisk, POWER_STATE, type PowerState, type VifSpec } from '@overcast/compute/contracts';
import { buffer } from 'node:stream/consumers';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { type HypervisorCapabilities, HypervisorDriver, type ImageFetcher, type ImageSink } from '../hypervisor-driver';

export interface FakeHypervisorOptions {
  hostname: string;
  vcpus?: number;
  memoryMb?: number;
  localGb?: number;
  /** Every spawn fails with this message: a broken host, for the scheduler's retries. */
  spawnFailure?: string;
  /** How long a spawn takes (a real guest's takes seconds): for tests that interrupt a build. */
  spawnSeconds?: number;
}

interface FakeInstance {
  spec: InstanceSpec;
  powerState: PowerState;
  volumes: Set<string>;
  ports: Set<string>;
  console: string[];
}

/**
 * A hypervisor with no host effects (Nova's fake driver), for API and scale tests: instances are
 * entries in memory that move between power states as a real guest would, and refuse what a real
 * hypervisor would refuse (starting a running guest, attaching a volume twice).
 */
export class FakeHypervisorDriver extends HypervisorDriver {
  readonly driver = 'fake';
  readonly capabilities: HypervisorCapabilities = {
    pause: true,
    suspend: true,
    snapshot: true,
    attachVolume: true,
    attachInterface: true,
    configDrive: true,
    volumeTypes: ['local', 'nfs', 'rbd', 'fake'],
  };
  private readonly instances = new Map<string, FakeInstance>();
  /** What a move's source keeps aside until it is confirmed or reverted. */
  private readonly kept = new Map<string, FakeInstance>();

  constructor(private readonly options: FakeHypervisorOptions) {
    super();
  }

  async start(): Promise<void> {
    // Nothing to get ready: no host is touched.
  }

  async stop(): Promise<void> {
    // Nothing was taken.
  }

  async inventory(): Promise<HostInventory> {
    const specs = [...this.instances.values()].map((instance) => instance.spec);
    return {
      hypervisorType: 'fake',
      hypervisorVersion: 1000,
      hypervisorHostname: this.options.hostname,
      virtType: 'fake',
      virtTypeReason: 'the fake driver runs no guests',
      cpuArch: 'x86_64',
      cpuInfo: { arch: 'x86_64', model: 'fake', vendor: 'fake', topology: { sockets: 1, cores: this.options.vcpus ?? 8, threads: 1 }, features: [] },
      vcpus: this.options.vcpus ?? 8,
      memoryMb: this.options.memoryMb ?? 16384,
      localGb: this.options.localGb ?? 200,
      vcpusUsed: specs.reduce((sum, spec) => sum + spec.vcpus, 0),
      memoryMbUsed: specs.reduce((sum, spec) => sum + spec.memoryMb, 0),
      localGbUsed: specs.reduce((sum, spec) => sum + spec.rootGb + spec.ephemeralGb, 0),
      hostIp: '127.0.0.1',
    };
  }

  async listInstances(): Promise<InstanceInfo[]> {
    return [...this.instances.entries()].map(([id, instance]) => ({ id, powerState: instance.powerState }));
  }

  async spawn(instance: InstanceSpec): Promise<void> {
    if (this.options.spawnFailure !== undefined) {
      throw new Error(this.options.spawnFailure);
    }
    if (this.instances.has(instance.id)) {
      throw new Error(`instance ${instance.id} already exists on ${this.options.hostname}`);
    }
    if (this.options.spawnSeconds) {
      await delay(this.options.spawnSeconds * 1000);
    }
    this.instances.set(instance.id, {
      spec: instance,
      powerState: POWER_STATE.RUNNING,
      volumes: new Set(instance.blockDevices.map((device) => device.volumeId)),
      ports: new Set(instance.vifs.map((vif) => vif.portId)),
      console: [`fake guest ${instance.id} booted`],
    });
  }

  async destroy(instance: InstanceSpec): Promise<void> {
    this.instances.delete(instance.id);
  }

  async migrateDisks(instance: InstanceSpec, uploads: Map<MigratingDisk, ImageSink>): Promise<void> {
    const held = this.held(instance);
    for (const [disk, sink] of uploads) {
      await sink.upload(Readable.from([Buffer.from(fakeDisk(instance.id, disk))]));
    }
    this.instances.delete(instance.id);
    this.kept.set(instance.id, { ...held, powerState: POWER_STATE.SHUTDOWN });
  }

  /** Reads what the source uploaded, as a real destination would, and refuses data that is not that instance's disk. */
  async finishMigration(instance: InstanceSpec, images: ImageFetcher, transferred: FinishMigrationRequest['transferred'], powerOn: boolean): Promise<void> {
    const kept = this.kept.get(instance.id);
    if (transferred === undefined && kept === undefined) {
      throw new Error(`no disks of instance ${instance.id} are kept on ${this.options.hostname}`);
    }
    for (const { disk, image } of transferred ?? []) {
      const data = (await buffer(await images.open(image))).toString();
      if (data !== fakeDisk(instance.id, disk)) {
        throw new Error(`image ${image.id} does not hold the ${disk} disk of instance ${instance.id}`);
      }
    }
    await this.spawn(instance);
    const moved = this.held(instance);
    moved.powerState = powerOn ? POWER_STATE.RUNNING : POWER_STATE.SHUTDOWN;
    moved.console = [...(kept?.console ?? []), `fake guest ${instance.id} resized`];
  }

  async confirmMigration(instance: InstanceSpec): Promise<void> {
    this.kept.delete(instance.id);
  }

  async revertMigration(instance: InstanceSpec, powerOn: boolean): Promise<void> {
    const kept = this.kept.get(instance.id);
    if (kept === undefined) {
      throw new Error(`no disks of instance ${instance.id} are kept on ${this.options.hostname}`);
    }
    this.kept.delete(instance.id);
    this.instances.set(instance.id, { ...kept, spec: instance, powerState: powerOn ? POWER_STATE.RUNNING : POWER_STATE.SHUTDOWN });
  }

  async powerOff(instance: InstanceSpec): Promise<void> {
    this.transition(instance, [POWER_STATE.RUNNING, POWER_STATE.PAUSED, POWER_STATE.SHUTDOWN, POWER_STATE.CRASHED], POWER_STATE.SHUTDOWN, 'power off');
  }

  async powerOn(instance: InstanceSpec): Promise<void> {
    this.transition(instance, [POWER_STATE.SHUTDOWN, POWER_STATE.CRASHED, POWER_STATE.RUNNING], POWER_STATE.RUNNING, 'power on');
  }

  async reboot(instance: InstanceSpec, type: 'SOFT' | 'HARD'): Promise<void> {
    const allowed: PowerState[] = type === 'HARD' ? [POWER_STATE.RUNNING, POWER_STATE.SHUTDOWN, POWER_STATE.PAUSED, POWER_STATE.CRASHED, POWER_STATE.SUSPENDED] : [POWER_STATE.RUNNING];
    this.transition(instance, allowed, POWER_STATE.RUNNING, `${type.toLowerCase()} reboot`).console.push('fake guest rebooted');
  }

  async pause(instance: InstanceSpec): Promise<void> {
    this.transition(instance, [POWER_STATE.RUNNING], POWER_STATE.PAUSED, 'pause');
  }

  async unpause(instance: InstanceSpec): Promise<void> {
    this.transition(instance, [POWER_STATE.PAUSED], POWER_STATE.RUNNING, 'unpause');
  }

  async suspend(instance: InstanceSpec): Promise<void> {
    this.transition(instance, [POWER_STATE.RUNNING, POWER_STATE.PAUSED], POWER_STATE.SUSPENDED, 'suspend');
  }

  async resume(instance: InstanceSpec): Promise<void> {
    this.transition(instance, [POWER_STATE.SUSPENDED], POWER_STATE.RUNNING, 'resume');
  }

  async snapshot(instance: InstanceSpec, sink: ImageSink): Promise<void> {
    this.held(instance);
    await sink.upload(Readable.from([Buffer.from(`fake disk of ${instance.id}\n`)]));
  }

  async attachVolume(instance: InstanceSpec, blockDevice: BlockDeviceSpec): Promise<void> {
    const held = this.held(instance);
    if (held.volumes.has(blockDevice.volumeId)) {
      throw new Error(`volume ${blockDevice.volumeId} is already attached to instance ${instance.id}`);
    }
    held.volumes.add(blockDevice.volumeId);
  }

  async detachVolume(instance: InstanceSpec, blockDevice: BlockDeviceSpec): Promise<void> {
    this.held(instance).volumes.delete(blockDevice.volumeId);
  }

  async attachInterface(instance: InstanceSpec, vif: VifSpec): Promise<void> {
    const held = this.held(instance);
    if (held.ports.has(vif.portId)) {
      throw new Error(`port ${vif.portId} is already plugged into instance ${instance.id}`);
    }
    held.ports.add(vif.portId);
  }

  async detachInterface(instance: InstanceSpec, vif: VifSpec): Promise<void> {
    this.held(instance).ports.delete(vif.portId);
  }

  async consoleOutput(instance: InstanceSpec, lines?: number): Promise<string> {
    const console = this.held(instance).console;
    return `${(lines === undefined ? console : console.slice(-lines)).join('\n')}\n`;
  }

  /** Outside Overcast's doing, as when a guest shuts itself down or its QEMU is killed: for power-state sync tests. */
  setPowerState(instanceId: string, powerState: PowerState): void {
    const held = this.instances.get(instanceId);
    if (held) {
      held.powerState = powerState;
    }
  }

  private held(instance: InstanceSpec): FakeInstance {
    const held = this.instances.get(instance.id);
    if (!held) {
      throw new Error(`instance ${instance.id} is not on ${this.options.hostname}`);
    }
    return held;
  }

  private transition(instance: InstanceSpec, from: PowerState[], to: PowerState, action: string): FakeInstance {
    const held = this.held(instance);
    if (!from.includes(held.powerState)) {
      throw new Error(`cannot ${action} instance ${instance.id}: its power state is ${held.powerState}`);
    }
    held.powerState = to;
    return held;
  }
}

/** What the fake driver uploads for a moving disk. */
function fakeDisk(instanceId: string, disk: MigratingDisk): string {
  return `fake ${disk} disk of ${instanceId}\n`;
}
