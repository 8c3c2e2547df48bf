import { describeVolumeDriverCompliance } from '../volume-driver.compliance';
import { FakeVolumeDriver } from './fake-volume-driver';

// The fake keeps no data, so the suite skips its data checks; what it holds shows only as what it counts as provisioned.
describeVolumeDriverCompliance('fake', async () => {
  const driver = new FakeVolumeDriver();
  return {
    driver,
    contents: async () => {
      const { provisionedCapacityGb } = await driver.capacity();
      return provisionedCapacityGb === 0 ? [] : [`${provisionedCapacityGb} GiB provisioned`];
    },
    close: async () => undefined,
  };
});
