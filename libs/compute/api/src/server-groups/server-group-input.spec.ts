import { ApiVersion } from '@overcast/shared/core';
import { serverGroupCreateBody } from './server-group-input';

const at = (minor: number) => new ApiVersion(2, minor);

describe('serverGroupCreateBody', () => {
  it('takes one of the hard policies at 2.1 and the soft ones from 2.15', () => {
    expect(serverGroupCreateBody({ server_group: { name: 'g', policies: ['anti-affinity'] } }, at(1))).toEqual({ name: 'g', policy: 'anti-affinity', rules: {} });
    expect(() => serverGroupCreateBody({ server_group: { name: 'g', policies: ['soft-affinity'] } }, at(14))).toThrow(/policies/);
    expect(serverGroupCreateBody({ server_group: { name: 'g', policies: ['soft-affinity'] } }, at(15))).toEqual({ name: 'g', policy: 'soft-affinity', rules: {} });
  });

  it('takes `policy` and `rules` from 2.64, rules for anti-affinity only', () => {
    expect(serverGroupCreateBody({ server_group: { name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: '2' } } }, at(64))).toEqual({ name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 2 } });
    expect(serverGroupCreateBody({ server_group: { name: 'g', policy: 'affinity' } }, at(64))).toEqual({ name: 'g', policy: 'affinity', rules: {} });
    expect(() => serverGroupCreateBody({ server_group: { name: 'g', policy: 'affinity', rules: { max_server_per_host: 2 } } }, at(64))).toThrow('Only anti-affinity policy supports rules.');
    expect(() => serverGroupCreateBody({ server_group: { name: 'g', policy: 'anti-affinity', rules: { max_server_per_host: 0 } } }, at(64))).toThrow(/minimum of 1/);
    expect(() => serverGroupCreateBody({ server_group: { name: 'g', policies: ['affinity'] } }, at(64))).toThrow("Invalid input for field 'server_group/policy': is a required property");
  });
});
