import {
  type ConnectionInfo,
  type CreateVolumeRequest,
  type OperationOutcome,
  type VolumeAgentReport,
  VOLUME_AGENT_PATTERNS,
  VOLUME_SERVER_TOPIC,
  VOLUME_PROTOCOL_VERSION,
  volumeAgentTopic,
  type VolumeOperation,
  type VolumeSpec,
} from '@overcast/block-storage/contracts';
import { createVolumeDriver, FakeVolumeDriver, type ImageSink, type ImageSource } from '@overcast/block-storage/drivers';
import { createMessageBus, type MessageBus } from '@overcast/shared/bus';
import { loadConfig } from '@overcast/shared/core';
import { createTempDir, eventually, ImageDataServer } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { VolumeAgent } from './volume-agent';
import { type VolumeBackendSettings, volumeAgentSettings } from './volume-agent.config';

const HOST = 'storage1';
const TOKEN = 'gAAAAABsecret-token-of-the-requester';
const IMAGE_BYTES = Buffer.from('the bytes of a tiny raw image\n'.repeat(100));
const { createVolume, deleteVolume, extendVolume, uploadToImage, createSnapshot, deleteSnapshot, initializeConnection } = VOLUME_AGENT_PATTERNS;

/** A fake backend that keeps what it reads from images, and can be held in the middle of a create. */
class RecordingDriver extends FakeVolumeDriver {
  readonly data = new Map<string, Buffer>();
  readonly created: string[] = [];
  /** Blank creates wait for it: `hold()` closes it, `letGo()` opens it. */
  private gate = Promise.resolve();
  letGo = (): void => undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.letGo = resolve));
  }

  override async createVolume(volume: VolumeSpec): Promise<void> {
    this.created.push(volume.id);
    await this.gate;
    await super.createVolume(volume);
  }

  override async createVolumeFromImage(volume: VolumeSpec, image: ImageSource): Promise<{ cloned: boolean }> {
    this.data.set(volume.id, await buffer(await image.open()));
    return super.createVolumeFromImage(volume, image);
  }

  override async copyVolumeToImage(volume: VolumeSpec, sink: ImageSink): Promise<void> {
    await sink.upload(Readable.from([this.data.get(volume.id) ?? Buffer.alloc(0)]));
  }
}

describe('VolumeAgent', () => {
  let bus: MessageBus;
  let agent: VolumeAgent;
  let driver: RecordingDriver;
  let images: ImageDataServer;
  const reports: VolumeAgentReport[] = [];
  const outcomes: OperationOutcome[] = [];
  const logged: string[] = [];
  const log = (...args: unknown[]) => void logged.push(JSON.stringify(args));
  const logger = { info: log, warn: log, error: log };

  async function startAgent(backends: Partial<VolumeBackendSettings>[]): Promise<void> {
    const settings = { ...volumeAgentSettings.parse({ backends }), host: HOST };
    agent = new VolumeAgent(bus, settings, logger, (backend) => {
      switch (backend.name) {
        case 'fast':
          return Promise.resolve(driver);
        default:
          return createVolumeDriver(backend);
      }
    });
    await agent.start();
  }

  async function outcomeOf(operation: VolumeOperation, id: string): Promise<OperationOutcome | undefined> {
    return eventually(
      async () => outcomes.find((outcome) => outcome.operation === operation && outcome.id === id),
      (outcome) => outcome !== undefined,
    );
  }

  const cast = (pattern: string, payload: unknown) => bus.cast(volumeAgentTopic(HOST), pattern, payload);
  const volume = (sizeGb = 1): VolumeSpec => ({ id: randomUUID(), sizeGb });
  const imageRequest = (target: VolumeSpec, imageId: string, authToken: string, backend = 'fast'): CreateVolumeRequest => ({
    backend,
    authToken,
    volume: target,
    source: { kind: 'image', image: { id: imageId, size: IMAGE_BYTES.length, diskFormat: 'raw', locations: [], fileUrl: images.fileUrl(imageId) } },
  });

  beforeEach(async () => {
    reports.length = 0;
    outcomes.length = 0;
    logged.length = 0;
    bus = await createMessageBus(`memory://volume-agent-${randomUUID()}`);
    // As the block-storage service serves its topic: at the version the agent reports at.
    const server = {
      [VOLUME_AGENT_PATTERNS.report]: (report: VolumeAgentReport) => void reports.push(report),
      [VOLUME_AGENT_PATTERNS.operationDone]: (outcome: OperationOutcome) => void outcomes.push(outcome),
    };
    await bus.serve(VOLUME_SERVER_TOPIC, server, { version: VOLUME_PROTOCOL_VERSION });
    driver = new RecordingDriver(50);
    images = new ImageDataServer({ cirros: IMAGE_BYTES }, TOKEN);
    await images.start();
  });

  afterEach(async () => {
    driver.letGo();
    await agent.stop();
    await bus.close();
    await images.stop();
  });

  it('reports its backends with capabilities and capacity at start, and a backend that cannot start with its problem', async () => {
    await startAgent([
      { name: 'fast', driver: 'fake', volumeBackendName: 'ssd', availabilityZone: 'az1' },
      { name: 'broken', driver: 'file', directory: '/nonexistent/volumes' },
    ]);
    const [report] = await eventually(async () => reports, (seen) => seen.length > 0);
    const problem = "the file volume driver's directory /nonexistent/volumes does not exist";
    expect(report).toEqual({
      host: HOST,
      backends: [
        {
          name: 'fast',
          volumeBackendName: 'ssd',
          driver: 'fake',
          storageProtocol: 'fake',
          availabilityZone: 'az1',
          capabilities: { cloneImages: false, multiattach: true, extendInUse: true },
          capacity: { totalCapacityGb: 50, freeCapacityGb: 50, provisionedCapacityGb: 0, thinProvisioning: true, maxOverSubscriptionRatio: 20, reservedPercentage: 0 },
        },
        {
          name: 'broken',
          volumeBackendName: 'broken',
          driver: 'file',
          storageProtocol: 'file',
          availabilityZone: 'nova',
          capabilities: { cloneImages: false, multiattach: false, extendInUse: false },
          problem,
        },
      ],
      startedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(agent.describe()).toEqual([`${HOST}@fast: fake: nothing is stored`, `${HOST}@broken: unusable: ${problem}`]);

    // The broken backend refuses work with its problem; the other one works.
    const [refused, accepted] = [volume(), volume()];
    await cast(createVolume, { backend: 'broken', volume: refused, source: { kind: 'blank' } });
    await cast(createVolume, { backend: 'fast', volume: accepted, source: { kind: 'blank' } });
    expect(await outcomeOf('volume.create', refused.id)).toEqual({
      operation: 'volume.create',
      id: refused.id,
      host: HOST,
      backend: 'broken',
      error: `volume backend ${HOST}@broken is unusable: ${problem}`,
    });
    expect(await outcomeOf('volume.create', accepted.id)).toEqual({ operation: 'volume.create', id: accepted.id, host: HOST, backend: 'fast' });
  });

  it('creates, extends, snapshots and deletes, reporting each outcome and the capacity it changed', async () => {
    await startAgent([{ name: 'fast', driver: 'fake' }]);
    const original = volume(1);
    const snapshot = { id: randomUUID(), volumeId: original.id, sizeGb: 2 };
    const copy = volume(3);
    await cast(createVolume, { backend: 'fast', volume: original, source: { kind: 'blank' } });
    await cast(extendVolume, { backend: 'fast', volume: original, newSizeGb: 2 });
    await cast(createSnapshot, { backend: 'fast', snapshot });
    await cast(createVolume, { backend: 'fast', volume: copy, source: { kind: 'snapshot', snapshot } });
    expect(await outcomeOf('volume.create', copy.id)).toEqual({ operation: 'volume.create', id: copy.id, host: HOST, backend: 'fast' });
    // Each operation waited for the one before on the same volume or snapshot.
    expect(outcomes.map((outcome) => [outcome.operation, outcome.error])).toEqual([
      ['volume.create', undefined],
      ['volume.extend', undefined],
      ['snapshot.create', undefined],
      ['volume.create', undefined],
    ]);
    const provisioned = async () => reports.at(-1)?.backends[0].capacity?.provisionedCapacityGb;
    expect(await eventually(provisioned, (gb) => gb === 2 + 2 + 3)).toBe(7);

    await cast(deleteSnapshot, { backend: 'fast', snapshot });
    await cast(deleteVolume, { backend: 'fast', volume: original });
    expect(await outcomeOf('snapshot.delete', snapshot.id)).toEqual({ operation: 'snapshot.delete', id: snapshot.id, host: HOST, backend: 'fast' });
    expect(await outcomeOf('volume.delete', original.id)).toEqual({ operation: 'volume.delete', id: original.id, host: HOST, backend: 'fast' });
    expect(await eventually(provisioned, (gb) => gb === 3)).toBe(3);
  });

  it('runs operations on one volume one after another, and on others meanwhile', async () => {
    await startAgent([{ name: 'fast', driver: 'fake' }]);
    const [slow, other] = [volume(), volume()];
    driver.hold();
    await cast(createVolume, { backend: 'fast', volume: slow, source: { kind: 'blank' } });
    await cast(extendVolume, { backend: 'fast', volume: slow, newSizeGb: 5 });
    await eventually(async () => driver.created, (created) => created.includes(slow.id));
    await cast(deleteVolume, { backend: 'fast', volume: other });
    expect(await outcomeOf('volume.delete', other.id)).toEqual({ operation: 'volume.delete', id: other.id, host: HOST, backend: 'fast' });
    // The extend waits for the held create, which would otherwise have made it fail.
    expect(outcomes.map((outcome) => outcome.operation)).toEqual(['volume.delete']);
    driver.letGo();
    expect(await outcomeOf('volume.extend', slow.id)).toEqual({ operation: 'volume.extend', id: slow.id, host: HOST, backend: 'fast', sizeGb: 5 });
  });

  it('reports a failed operation with its reason, and never the token', async () => {
    await startAgent([{ name: 'fast', driver: 'fake' }]);
    const missing = volume();
    await cast(extendVolume, { backend: 'fast', authToken: TOKEN, volume: missing, newSizeGb: 2 });
    expect(await outcomeOf('volume.extend', missing.id)).toEqual({ operation: 'volume.extend', id: missing.id, host: HOST, backend: 'fast', sizeGb: 2, error: `volume ${missing.id} is not on this backend` });

    const refused = volume();
    await cast(createVolume, imageRequest(refused, 'cirros', 'an-expired-token'));
    const outcome = await outcomeOf('volume.create', refused.id);
    expect(outcome?.error).toBe(`downloading image cirros failed: the image service answered 401 Unauthorized: The token *** is not valid.`);
    expect(logged.join('\n')).toContain('401 Unauthorized');
    expect(logged.join('\n')).not.toContain('an-expired-token');
    expect(logged.join('\n')).not.toContain(TOKEN);
  });

  it("fills a volume with an image's data fetched with the requester's token, and uploads a volume to an image", async () => {
    await startAgent([{ name: 'fast', driver: 'fake' }]);
    const target = volume();
    await cast(createVolume, imageRequest(target, 'cirros', TOKEN));
    expect(await outcomeOf('volume.create', target.id)).toEqual({ operation: 'volume.create', id: target.id, host: HOST, backend: 'fast', cloned: false });
    expect(driver.data.get(target.id)).toEqual(IMAGE_BYTES);

    await cast(uploadToImage, { backend: 'fast', authToken: TOKEN, volume: target, imageId: 'snap-image', diskFormat: 'raw', fileUrl: images.fileUrl('snap-image') });
    expect(await outcomeOf('volume.upload-image', target.id)).toEqual({ operation: 'volume.upload-image', id: target.id, host: HOST, backend: 'fast' });
    expect(images.uploads.get('snap-image')).toEqual({ contentType: 'application/octet-stream', body: IMAGE_BYTES });

    // The image an upload was for goes when the upload fails: here the volume is not on the backend.
    await cast(uploadToImage, { backend: 'fast', authToken: TOKEN, volume: volume(), imageId: 'doomed', diskFormat: 'raw', fileUrl: images.fileUrl('doomed') });
    await eventually(async () => images.deleted, (deleted) => deleted.includes('doomed'));

    const missing = volume();
    await cast(createVolume, imageRequest(missing, 'no-such-image', TOKEN));
    expect((await outcomeOf('volume.create', missing.id))?.error).toBe('downloading image no-such-image failed: the image service answered 404 Not Found');
  });

  it('keeps the image in a volume of a file backend, attaches it and uploads it back as qcow2', async () => {
    const directory = await createTempDir('volume-agent');
    try {
      await startAgent([{ name: 'files', driver: 'file', directory: directory.path, format: 'raw' }]);
      expect((await eventually(async () => reports, (seen) => seen.length > 0))[0].backends[0].capacity?.totalCapacityGb).toBeGreaterThan(0);
      const target = volume();
      await cast(createVolume, imageRequest(target, 'cirros', TOKEN, 'files'));
      expect(await outcomeOf('volume.create', target.id)).toEqual({ operation: 'volume.create', id: target.id, host: HOST, backend: 'files', cloned: false });
      const path = join(directory.path, `volume-${target.id}`);
      expect((await readFile(path)).subarray(0, IMAGE_BYTES.length)).toEqual(IMAGE_BYTES);

      const info = await bus.call<ConnectionInfo>(volumeAgentTopic(HOST), initializeConnection, { backend: 'files', volume: target, connector: { host: HOST } });
      expect(info).toEqual({ driver_volume_type: 'local', data: { device_path: path, format: 'raw' } });

      await cast(uploadToImage, { backend: 'files', authToken: TOKEN, volume: target, imageId: 'backup', diskFormat: 'qcow2', fileUrl: images.fileUrl('backup') });
      expect(await outcomeOf('volume.upload-image', target.id)).toEqual({ operation: 'volume.upload-image', id: target.id, host: HOST, backend: 'files' });
      const upload = images.uploads.get('backup');
      expect(upload?.body.subarray(0, 4)).toEqual(Buffer.from('QFI\xfb', 'latin1'));
      // A small qcow2 keeps the data of its one cluster as it is.
      expect(upload?.body.includes(IMAGE_BYTES)).toBe(true);
    } finally {
      await directory.remove();
    }
  });

  it('answers connection calls with what the driver says, and refuses a backend it does not have', async () => {
    await startAgent([{ name: 'fast', driver: 'fake' }]);
    const attached = volume();
    await cast(createVolume, { backend: 'fast', volume: attached, source: { kind: 'blank' } });
    await outcomeOf('volume.create', attached.id);
    const info = await bus.call<ConnectionInfo>(volumeAgentTopic(HOST), initializeConnection, { backend: 'fast', volume: attached, connector: { host: 'compute1' } });
    expect(info).toEqual({ driver_volume_type: 'fake', data: { volume_id: attached.id } });

    await expect(bus.call(volumeAgentTopic(HOST), initializeConnection, { backend: 'slow', volume: attached, connector: {} })).rejects.toThrow(
      `host ${HOST} has no volume backend "slow" (it has fast)`,
    );
    const elsewhere = volume();
    await cast(createVolume, { backend: 'slow', volume: elsewhere, source: { kind: 'blank' } });
    expect((await outcomeOf('volume.create', elsewhere.id))?.error).toBe(`host ${HOST} has no volume backend "slow" (it has fast)`);
  });
});

describe('volumeAgentSettings', () => {
  it('reads backends from the environment as JSON, with their defaults', () => {
    const settings = loadConfig(volumeAgentSettings, 'volume-agent', { env: { OVERCAST_VOLUME_AGENT_BACKENDS: '[{"name":"local","driver":"file","directory":"/srv/volumes"}]' } });
    expect(settings).toEqual({
      backends: [{ name: 'local', driver: 'file', directory: '/srv/volumes', format: 'qcow2', volumeBackendName: 'local', availabilityZone: 'nova' }],
      reportIntervalSeconds: 30,
    });
  });

  it('refuses an unknown driver naming the setting and the choices, and text that is not JSON', () => {
    expect(() => loadConfig(volumeAgentSettings, 'volume-agent', { env: {}, file: { 'volume-agent': { backends: [{ name: 'old', driver: 'lvm' }] } } })).toThrow(
      'invalid setting volume-agent.backends.0.driver',
    );
    expect(() => volumeAgentSettings.parse({ backends: [{ name: 'old', driver: 'lvm' }] })).toThrow('must be one of file, rbd, fake');
    expect(() => loadConfig(volumeAgentSettings, 'volume-agent', { env: { OVERCAST_VOLUME_AGENT_BACKENDS: 'local:file' } })).toThrow('must be a JSON list of backends');
  });
});
