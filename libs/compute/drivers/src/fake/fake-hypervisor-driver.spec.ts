import { type InstanceSpec } from '@overcast/compute/contracts';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { describeHypervisorDriverCompliance } from '../hypervisor-driver.compliance';
import { type ImageFetcher } from '../hypervisor-driver';
import { FakeHypervisorDriver } from './fake-hypervisor-driver';

const images: ImageFetcher = { open: async () => Readable.from([Buffer.from('fake image')]) };

function instanceOf(): InstanceSpec {
  return {
    id: randomUUID(),
    name: 'compliance',
    vcpus: 1,
    memoryMb: 128,
    rootGb: 1,
    ephemeralGb: 0,
    swapMb: 0,
    image: { id: randomUUID(), diskFormat: 'qcow2', size: 10, fileUrl: 'http://image.invalid/file', properties: {} },
    vifs: [],
    blockDevices: [],
  };
}

describeHypervisorDriverCompliance('fake', async () => {
  const driver = new FakeHypervisorDriver({ hostname: 'compliance' });
  return {
    driver,
    instance: instanceOf,
    images,
    failingSpawn: () => ({ instance: instanceOf(), images, driver: new FakeHypervisorDriver({ hostname: 'broken', spawnFailure: 'the host is broken' }) }),
    volume: async () => {
      const volumeId = randomUUID();
      return { volumeId, deviceName: 'vdb', connectionInfo: { driver_volume_type: 'fake', data: { volume_id: volumeId } } };
    },
    // The fake holds nothing on the host; what it holds in memory is what it lists.
    contents: async () => (await driver.listInstances()).map((instance) => instance.id).sort(),
    secondHost: async () => {
      const other = new FakeHypervisorDriver({ hostname: 'compliance-2' });
      return { driver: other, contents: async () => (await other.listInstances()).map((instance) => instance.id).sort(), close: async () => undefined };
    },
    close: async () => undefined,
  };
});
