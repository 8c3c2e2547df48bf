import { OpenStackError } from '@overcast/shared/core';
import { quotaResources, quotaUpdateBody } from './quota-resources';

const resources = quotaResources(['__DEFAULT__', 'fast']);

function refusal(work: () => unknown): string {
  try {
    work();
  } catch (error) {
    expect((error as OpenStackError).status).toBe(400);
    return (error as OpenStackError).message;
  }
  throw new Error('expected a 400');
}

describe('quotaResources', () => {
  it("lists Cinder's global resources, then volumes, gigabytes and snapshots of each type", () => {
    expect(resources).toEqual([
      'volumes',
      'per_volume_gigabytes',
      'snapshots',
      'gigabytes',
      'backups',
      'backup_gigabytes',
      'groups',
      'volumes___DEFAULT__',
      'gigabytes___DEFAULT__',
      'snapshots___DEFAULT__',
      'volumes_fast',
      'gigabytes_fast',
      'snapshots_fast',
    ]);
  });
});

describe('quotaUpdateBody', () => {
  it('reads limits as numbers or decimal text, ignoring id and tenant_id', () => {
    expect(quotaUpdateBody({ quota_set: { volumes: 5, gigabytes_fast: '-1', id: 'p', tenant_id: 'p' } }, resources)).toEqual(
      new Map([
        ['volumes', 5],
        ['gigabytes_fast', -1],
      ]),
    );
  });

  it("refuses with oslo's and Cinder's words", () => {
    expect(refusal(() => quotaUpdateBody({ quota_set: { volumes: -2 } }, resources))).toBe('volumes must be >= -1');
    expect(refusal(() => quotaUpdateBody({ quota_set: { volumes: 'ten' } }, resources))).toBe('volumes must be an integer');
    expect(refusal(() => quotaUpdateBody({ quota_set: { volumes: true } }, resources))).toBe('volumes must be an integer');
    expect(refusal(() => quotaUpdateBody({ quota_set: { volumes: 2 ** 31 } }, resources))).toBe('volumes must be <= 2147483647');
    expect(refusal(() => quotaUpdateBody({ quota_set: { volumes_slow: 1, ram: 2 } }, resources))).toBe('Invalid input received: Bad key(s) in quota set: volumes_slow, ram');
    expect(refusal(() => quotaUpdateBody({ quota_set: {} }, resources))).toBe('Invalid input for field/attribute quota_set. Value: {}. {} does not have enough properties');
    expect(refusal(() => quotaUpdateBody({ quotas: {} }, resources))).toBe("Invalid input received: Missing required element 'quota_set' in request body.");
  });
});
