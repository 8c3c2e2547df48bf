import { resolveOvsSettings } from './ovs-settings';

describe('resolveOvsSettings', () => {
  const base = { host: 'h1', physicalInterfaces: { physnet1: 'eth1' }, stateDirectory: '/var/lib/overcast' };

  it('defaults to the system OVS, br-int, br-tun and br-<physnet>', () => {
    expect(resolveOvsSettings(base)).toMatchObject({
      ovsdbSocket: '/var/run/openvswitch/db.sock',
      runDirectory: '/var/run/openvswitch',
      integrationBridge: 'br-int',
      tunnelBridge: 'br-tun',
      providerBridges: [{ physicalNetwork: 'physnet1', bridge: 'br-physnet1', interface: 'eth1' }],
    });
  });

  it('finds the bridges’ OpenFlow sockets beside the ovsdb socket', () => {
    expect(resolveOvsSettings({ ...base, ovsdbSocket: '/tmp/h1/db.sock' }).runDirectory).toBe('/tmp/h1');
  });

  it('refuses bridge names the kernel cannot carry and mappings without an interface', () => {
    expect(() => resolveOvsSettings({ ...base, bridgeMappings: { physnet1: 'br-much-too-long-name' } })).toThrow('OVS bridge name "br-much-too-long-name" must have 1 to 15 characters');
    expect(() => resolveOvsSettings({ ...base, bridgeMappings: { physnet2: 'br-ex' } })).toThrow('bridgeMappings names physical networks without an interface in physicalInterfaces: physnet2');
  });
});
