import { type VolumeTypeEntity } from '@overcast/block-storage/data-access';
import { type TypeViewer, visibleExtraSpecs, volumeTypeView } from './volume-type-view';

const type = {
  id: '2b1e0a7c-6a8e-4f3e-9f1e-3d2c1b0a9f8e',
  name: 'fast',
  description: 'SSD',
  isPublic: false,
  extraSpecs: { volume_backend_name: 'ssd', multiattach: '<is> True', 'RESKEY:availability_zones': 'az1' },
  createdAt: new Date(),
  updatedAt: new Date(),
} satisfies VolumeTypeEntity;

const viewer = (isAdmin: boolean, rules: string[]): TypeViewer => ({ isAdmin, allows: (rule) => isAdmin || rules.includes(rule) });

describe('volumeTypeView', () => {
  it('shows an admin every extra spec, the QoS id and the access flag', () => {
    expect(volumeTypeView(type, viewer(true, []))).toEqual({
      id: type.id,
      name: 'fast',
      description: 'SSD',
      is_public: false,
      extra_specs: type.extraSpecs,
      qos_specs_id: null,
      'os-volume-type-access:is_public': false,
    });
  });

  it('shows a member only the user-visible extra specs, and no QoS id', () => {
    expect(volumeTypeView(type, viewer(false, ['read', 'write']))).toEqual({
      id: type.id,
      name: 'fast',
      description: 'SSD',
      is_public: false,
      extra_specs: { multiattach: '<is> True', 'RESKEY:availability_zones': 'az1' },
      'os-volume-type-access:is_public': false,
    });
  });

  it('gives a reader no access flag', () => {
    expect(volumeTypeView(type, viewer(false, ['read']))).not.toHaveProperty('os-volume-type-access:is_public');
  });
});

describe('visibleExtraSpecs', () => {
  it("hides how the cloud is built from non-admins: backend names, drivers' settings", () => {
    expect(visibleExtraSpecs({ volume_backend_name: 'ssd', replication_enabled: '<is> False' }, viewer(false, ['read']))).toEqual({ replication_enabled: '<is> False' });
  });
});
