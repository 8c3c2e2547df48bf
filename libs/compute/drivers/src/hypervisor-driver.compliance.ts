import { type BlockDeviceSpec, type InstanceSpec, POWER_STATE, type PowerState } from '@overcast/compute/contracts';
import { createTempDir, eventually, type TempDir } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { type HypervisorDriver, type ImageFetcher, type ImageSink } from './hypervisor-driver';

/** What a guest shows from the inside, for a driver that runs real ones. */
export interface GuestProbe {
  /** How many times the guest has finished booting since it was spawned. */
  boots(instance: InstanceSpec): Promise<number>;
  /** The disks the guest sees now (`vda`, `vdb`…). */
  disks(instance: InstanceSpec): Promise<string[]>;
  /** How many times the guest has shut itself down because it was asked to (the ACPI power button). */
  shutdownsAsked(instance: InstanceSpec): Promise<number>;
}

export interface HypervisorUnderTest {
  driver: HypervisorDriver;
  /** A new instance the driver can spawn (for a real hypervisor: a bootable image, its NICs' taps made). */
  instance(): InstanceSpec;
  images: ImageFetcher;
  /** A spawn that must fail, e.g. on an image whose data is not what it says; `driver` when another one (configured to fail) must run it. */
  failingSpawn(): { instance: InstanceSpec; images: ImageFetcher; driver?: HypervisorDriver };
  /**
   * A volume to attach, or several (one per connection type the subject can serve: each is
   * attached and detached in turn), with the connection info their block-storage drivers return.
   * Types of `capabilities.volumeTypes` none of them has are listed as skipped.
   */
  volume(): Promise<BlockDeviceSpec | BlockDeviceSpec[]>;
  /** Checks from the storage's side that the hypervisor has the volume open while `attached`, and let it go after the detach. */
  checkVolume?(volume: BlockDeviceSpec, attached: boolean): Promise<void>;
  /** Everything the host holds for instances (domains, directories, files), to show nothing was left behind. */
  contents(): Promise<string[]>;
  /** Without it (the fake), checks of what the guest sees are skipped, and the run lists them. */
  guest?: GuestProbe;
  /** Checks of the fresh guest that only this driver can make (its network, its config drive). */
  afterSpawn?(instance: InstanceSpec): Promise<void>;
  /** Another host's hypervisor (for a real one, its own instances directory), to move the instance to; without it, that check is skipped. */
  secondHost?(): Promise<SecondHost>;
  /** Checks of an image the snapshot uploaded, kept at `path`. */
  checkSnapshot?(path: string, diskFormat: ImageSink['diskFormat']): Promise<void>;
  close(): Promise<void>;
}

export interface SecondHost {
  driver: HypervisorDriver;
  contents(): Promise<string[]>;
  guest?: GuestProbe;
  close(): Promise<void>;
}

export interface ComplianceOptions {
  /** Per test; a real guest's boot takes 10–18 s of TCG here. */
  timeoutMs?: number;
  /** How long the guest has to finish a boot or show a disk. */
  guestTimeoutMs?: number;
  /** The power-off timeout: a real guest shuts down by ACPI within it. */
  shutdownTimeoutSeconds?: number;
}

/** A sink that writes the upload to `path`, and counts uploads. */
function fileSink(diskFormat: ImageSink['diskFormat'], path: string): ImageSink & { uploads: number; bytes: number } {
  return {
    diskFormat,
    uploads: 0,
    bytes: 0,
    async upload(data) {
      this.uploads += 1;
      const file = await open(path, 'w');
      try {
        for await (const chunk of data as AsyncIterable<Buffer>) {
          await file.write(chunk);
          this.bytes += chunk.length;
        }
      } finally {
        await file.close();
      }
    },
  };
}

/**
 * The contract every HypervisorDriver passes (after Nova's driver tests), on the real hypervisor:
 * one instance goes through the whole life of a server in order — spawn, console, volumes,
 * pause, suspend, snapshot, reboots, power off and on, resizes in place and a move to another
 * host (reverted, and confirmed) — and is destroyed, leaving nothing; a
 * failed spawn leaves nothing either. Operations the capabilities deny are skipped. With a
 * GuestProbe, every step is also checked from inside the guest (boots, disks).
 */
export function describeHypervisorDriverCompliance(name: string, setUp: () => Promise<HypervisorUnderTest>, options: ComplianceOptions = {}): void {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const guestTimeoutMs = options.guestTimeoutMs ?? 5_000;
  const shutdownTimeoutSeconds = options.shutdownTimeoutSeconds ?? 5;

  describe(`HypervisorDriver compliance: ${name}`, () => {
    let subject: HypervisorUnderTest;
    let driver: HypervisorDriver;
    let instance: InstanceSpec;
    let scratch: TempDir;
    let before: string[];
    const skipped: string[] = [];

    beforeAll(async () => {
      scratch = await createTempDir('overcast-hypervisor-compliance');
      subject = await setUp();
      driver = subject.driver;
      await driver.start();
      before = await subject.contents();
      instance = subject.instance();
    }, timeoutMs);
    afterAll(async () => {
      if (skipped.length > 0) {
        console.log(`${name}: these checks were skipped:\n- ${skipped.join('\n- ')}`);
      }
      try {
        // A test that failed half-way must not leave its guest running.
        await driver?.destroy(instance);
        await driver?.stop();
        await scratch?.remove();
      } finally {
        await subject?.close();
      }
    }, timeoutMs);

    async function powerState(): Promise<PowerState | undefined> {
      return (await driver.listInstances()).find((info) => info.id === instance.id)?.powerState;
    }

    /** The guest probe; without one, notes `checks` as skipped. */
    function guest(checks: string): GuestProbe | undefined {
      if (subject.guest === undefined) {
        skipped.push(checks);
      }
      return subject.guest;
    }

    /** Waits until the guest has booted `count` times in all (since its console began: a move makes a new one). */
    async function expectBoots(probe: GuestProbe | undefined, count: number): Promise<void> {
      if (probe) {
        expect(await eventually(() => probe.boots(instance), (boots) => boots >= count, guestTimeoutMs)).toBeGreaterThanOrEqual(count);
      }
    }

    /** The instance a little bigger: more memory, a bigger root disk (a resize's new flavor). */
    const grown = (from: InstanceSpec): InstanceSpec => ({ ...from, memoryMb: from.memoryMb + 64, rootGb: from.rootGb + 1 });

    it('spawns an instance, listed RUNNING and counted in the inventory, and refuses to spawn it twice', async () => {
      const usedBefore = await driver.inventory();
      await driver.spawn(instance, subject.images);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
      const used = await driver.inventory();
      expect(used.vcpusUsed).toBe(usedBefore.vcpusUsed + instance.vcpus);
      expect(used.memoryMbUsed).toBe(usedBefore.memoryMbUsed + instance.memoryMb);
      await expect(driver.spawn(instance, subject.images)).rejects.toThrow(instance.id);
      await expectBoots(guest('the guest boots'), 1);
      await subject.afterSpawn?.(instance);
    }, timeoutMs + guestTimeoutMs);

    it('reports a sane inventory', async () => {
      const inventory = await driver.inventory();
      expect(inventory.vcpus).toBeGreaterThan(0);
      expect(inventory.memoryMb).toBeGreaterThan(0);
      expect(inventory.localGb).toBeGreaterThan(0);
      expect(inventory.hypervisorVersion).toBeGreaterThan(0);
      expect(inventory.virtType).not.toBe('');
      expect(inventory.virtTypeReason).not.toBe('');
      expect(inventory.cpuInfo).toEqual(expect.objectContaining({ arch: inventory.cpuArch, topology: expect.any(Object), features: expect.any(Array) }));
    }, timeoutMs);

    it('shows the console output, or its last lines', async () => {
      const all = await driver.consoleOutput(instance);
      expect(all.length).toBeGreaterThan(0);
      const last = await driver.consoleOutput(instance, 1);
      expect(last.trimEnd().split('\n')).toHaveLength(1);
      expect(all.trimEnd().endsWith(last.trimEnd())).toBe(true);
    }, timeoutMs);

    it('hot-attaches a volume of each connection type and detaches it; detaching it again is no error', async () => {
      if (!driver.capabilities.attachVolume) {
        skipped.push('attach/detach volume: the driver does not offer it');
        return;
      }
      const probe = guest('the guest sees an attached volume come and go');
      const volumes = [await subject.volume()].flat();
      const types = volumes.map((volume) => volume.connectionInfo.driver_volume_type);
      for (const type of driver.capabilities.volumeTypes.filter((offered) => !types.includes(offered))) {
        skipped.push(`attach/detach of a volume of connection type ${type}: the test offers none`);
      }
      for (const volume of volumes) {
        const type = volume.connectionInfo.driver_volume_type;
        const disksBefore = (await probe?.disks(instance)) ?? [];
        await driver.attachVolume(instance, volume);
        await expect(driver.attachVolume(instance, volume)).rejects.toThrow();
        if (probe) {
          const disks = await eventually(() => probe.disks(instance), (now) => now.length === disksBefore.length + 1, guestTimeoutMs);
          expect({ type, disks: disks.length }).toEqual({ type, disks: disksBefore.length + 1 });
        }
        await subject.checkVolume?.(volume, true);
        await driver.detachVolume(instance, volume);
        await driver.detachVolume(instance, volume);
        if (probe) {
          const disks = await eventually(() => probe.disks(instance), (now) => now.length === disksBefore.length, guestTimeoutMs);
          expect({ type, disks }).toEqual({ type, disks: disksBefore });
        }
        await subject.checkVolume?.(volume, false);
      }
    }, timeoutMs + 6 * guestTimeoutMs);

    it('pauses and unpauses', async () => {
      if (!driver.capabilities.pause) {
        skipped.push('pause/unpause: the driver does not offer it');
        return;
      }
      await driver.pause(instance);
      expect(await powerState()).toBe(POWER_STATE.PAUSED);
      await expect(driver.pause(instance)).rejects.toThrow();
      await driver.unpause(instance);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
    }, timeoutMs);

    it('suspends and resumes', async () => {
      if (!driver.capabilities.suspend) {
        skipped.push('suspend/resume: the driver does not offer it');
        return;
      }
      await driver.suspend(instance);
      expect(await powerState()).toBe(POWER_STATE.SUSPENDED);
      await driver.resume(instance);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
    }, timeoutMs);

    it.each(['qcow2', 'raw'] as const)('snapshots the root disk as a %s image, and the guest runs on', async (diskFormat) => {
      if (!driver.capabilities.snapshot) {
        skipped.push('snapshot: the driver does not offer it');
        return;
      }
      const path = join(scratch.path, `snapshot-${randomUUID()}.${diskFormat}`);
      const sink = fileSink(diskFormat, path);
      // As the compute service sends an action: the spec without the image it was built from.
      await driver.snapshot({ ...instance, image: undefined }, sink);
      expect(sink.uploads).toBe(1);
      expect(sink.bytes).toBeGreaterThan(0);
      await subject.checkSnapshot?.(path, diskFormat);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
    }, timeoutMs);

    it('reboots softly and hard, and the guest comes up again each time', async () => {
      const probe = guest('the guest boots again after each reboot');
      const boots = (await probe?.boots(instance)) ?? 0;
      const asked = (await probe?.shutdownsAsked(instance)) ?? 0;
      await driver.reboot(instance, 'SOFT');
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
      // Soft, not the hard fallback: the guest was asked to shut down, and did.
      expect((await probe?.shutdownsAsked(instance)) ?? 0).toBe(probe ? asked + 1 : 0);
      await expectBoots(probe, boots + 1);
      await driver.reboot(instance, 'HARD');
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
      await expectBoots(probe, boots + 2);
    }, timeoutMs + 2 * guestTimeoutMs);

    it('powers off (asking the guest first) and on again', async () => {
      const probe = guest('the guest boots again after power on');
      const boots = (await probe?.boots(instance)) ?? 0;
      const asked = (await probe?.shutdownsAsked(instance)) ?? 0;
      await driver.powerOff(instance, shutdownTimeoutSeconds);
      expect(await powerState()).toBe(POWER_STATE.SHUTDOWN);
      expect((await probe?.shutdownsAsked(instance)) ?? 0).toBe(probe ? asked + 1 : 0);
      await driver.powerOff(instance, 0);
      expect(await powerState()).toBe(POWER_STATE.SHUTDOWN);
      await driver.powerOn(instance);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
      await expectBoots(probe, boots + 1);
    }, timeoutMs + guestTimeoutMs + shutdownTimeoutSeconds * 1000);

    it('resizes in place: the guest runs again with the new sizes, and a revert brings back the old guest', async () => {
      const probe = guest('the guest boots after an in-place resize and after its revert');
      const boots = (await probe?.boots(instance)) ?? 0;
      const usedBefore = await driver.inventory();
      const bigger = grown(instance);
      await driver.migrateDisks(instance, new Map());
      expect(await powerState()).toBeUndefined();
      await driver.finishMigration(bigger, subject.images, undefined, true);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
      expect((await driver.inventory()).memoryMbUsed).toBe(usedBefore.memoryMbUsed + 64);
      await expectBoots(probe, 1);
      // Reverting: the destination's guest goes (a destroy, which leaves the kept disks alone), then the kept one returns.
      await driver.destroy(bigger);
      await driver.revertMigration(instance, true);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
      expect((await driver.inventory()).memoryMbUsed).toBe(usedBefore.memoryMbUsed);
      await expectBoots(probe, boots + 1);
    }, timeoutMs + 2 * guestTimeoutMs + shutdownTimeoutSeconds * 1000);

    it('moves to another host through uploaded disks, and back by a revert', async () => {
      if (subject.secondHost === undefined) {
        skipped.push('a move to another host: no second host');
        return;
      }
      const probe = guest('the guest boots again on its first host after the move is reverted');
      const boots = (await probe?.boots(instance)) ?? 0;
      const other = await subject.secondHost();
      await other.driver.start();
      // Hosts on one machine may share a hypervisor: the second must not destroy the guest once it is back on the first.
      let otherHolds = false;
      try {
        const path = join(scratch.path, `moving-root-${randomUUID()}.qcow2`);
        const sink = fileSink('qcow2', path);
        await driver.migrateDisks(instance, new Map([['root', sink]]));
        expect(sink.uploads).toBe(1);
        expect(await powerState()).toBeUndefined();
        // Taken once the source let go: hosts on one machine may share a hypervisor's list.
        const otherBefore = await other.contents();
        const moving = { id: randomUUID(), diskFormat: 'qcow2', size: sink.bytes, fileUrl: 'http://image.invalid/moving-root' };
        const images: ImageFetcher = { open: async (image) => (image.id === moving.id ? createReadStream(path) : subject.images.open(image)) };
        otherHolds = true;
        await other.driver.finishMigration(instance, images, [{ disk: 'root', image: moving }], true);
        expect((await other.driver.listInstances()).find((info) => info.id === instance.id)?.powerState).toBe(POWER_STATE.RUNNING);
        const otherGuest = other.guest;
        if (otherGuest) {
          expect(await eventually(() => otherGuest.boots(instance), (boots) => boots >= 1, guestTimeoutMs)).toBeGreaterThanOrEqual(1);
        }
        await other.driver.destroy(instance);
        otherHolds = false;
        expect(await other.contents()).toEqual(otherBefore);
        await driver.revertMigration(instance, true);
        expect(await powerState()).toBe(POWER_STATE.RUNNING);
        // Up again before the next test asks it to shut down (a guest still booting ignores the request).
        await expectBoots(probe, boots + 1);
      } finally {
        if (otherHolds) {
          await other.driver.destroy(instance).catch(() => undefined);
        }
        await other.driver.stop();
        await other.close();
      }
    }, timeoutMs + 2 * guestTimeoutMs + shutdownTimeoutSeconds * 1000);

    it('resizes in place and confirms, keeping nothing of the old guest; a stopped guest stays stopped', async () => {
      const bigger = grown(instance);
      await driver.migrateDisks(instance, new Map());
      await driver.finishMigration(bigger, subject.images, undefined, false);
      expect(await powerState()).toBe(POWER_STATE.SHUTDOWN);
      await driver.confirmMigration(instance);
      await driver.confirmMigration(instance);
      await expect(driver.revertMigration(instance, true)).rejects.toThrow(instance.id);
      instance = bigger;
      await driver.powerOn(instance);
      expect(await powerState()).toBe(POWER_STATE.RUNNING);
    }, timeoutMs + shutdownTimeoutSeconds * 1000);

    it('destroys the instance, leaving nothing; destroying it again is no error', async () => {
      await driver.destroy(instance);
      expect(await powerState()).toBeUndefined();
      expect(await subject.contents()).toEqual(before);
      await driver.destroy(instance);
      await expect(driver.powerOn(instance)).rejects.toThrow(instance.id);
      await expect(driver.consoleOutput(instance)).rejects.toThrow(instance.id);
      const inventory = await driver.inventory();
      expect(inventory.vcpusUsed).toBe(0);
    }, timeoutMs);

    it('fails a spawn with an error, leaving nothing behind', async () => {
      const failing = subject.failingSpawn();
      const spawner = failing.driver ?? driver;
      if (failing.driver) {
        await failing.driver.start();
      }
      try {
        await expect(spawner.spawn(failing.instance, failing.images)).rejects.toThrow();
        expect((await spawner.listInstances()).map((info) => info.id)).not.toContain(failing.instance.id);
        expect(await subject.contents()).toEqual(before);
      } finally {
        await failing.driver?.stop();
      }
    }, timeoutMs);
  });
}
