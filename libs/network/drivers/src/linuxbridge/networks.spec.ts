import { type NetworkSegment } from '@overcast/network/contracts';
import { type HostWiringSettings } from '../l2-driver';
import { isNetworkDevice, planNetworks } from './networks';

const settings: HostWiringSettings = { host: 'h1', tunnelIp: '10.200.0.1', tunnelInterface: 'ul0', physicalInterfaces: { physnet1: 'eth1' }, stateDirectory: '/tmp/x' };
const vxlan = (id: string, vni: number): NetworkSegment => ({ networkId: id, networkType: 'vxlan', segmentationId: vni, mtu: 1450 });
const flat = (id: string, physicalNetwork: string): NetworkSegment => ({ networkId: id, networkType: 'flat', physicalNetwork, mtu: 1500 });

describe('planning a host\'s networks', () => {
  it('gives a VXLAN network a unicast flood list of the peers that have its VNI', () => {
    const peers = [
      { host: 'h2', ip: '10.200.0.2', segmentationIds: [5, 6] },
      { host: 'h3', ip: '10.200.0.3', segmentationIds: [6] },
      { host: 'h1', ip: '10.200.0.1', segmentationIds: [5] },
    ];
    const { wired, failures } = planNetworks([vxlan('aaaaaaaaaaaa-net', 5)], settings, peers, undefined);
    expect(failures.size).toBe(0);
    expect(wired).toEqual([
      {
        segment: vxlan('aaaaaaaaaaaa-net', 5),
        bridge: 'brqaaaaaaaaaaa',
        uplink: { kind: 'vxlan', device: 'vxlan-5', vni: 5, localIp: '10.200.0.1', via: 'ul0', peers: ['10.200.0.2'] },
      },
    ]);
  });

  it('uplinks a flat network by its physical network\'s interface, once per interface', () => {
    const { wired, failures } = planNetworks([flat('one', 'physnet1'), flat('two', 'physnet1'), flat('three', 'physnet9')], settings, [], undefined);
    expect(wired.map(({ uplink }) => uplink)).toEqual([{ kind: 'physical', device: 'eth1' }]);
    expect(failures.get('two')).toMatch(/eth1 .* already carries network one/);
    expect(failures.get('three')).toMatch(/physnet9 is not mapped/);
  });

  it('refuses what this host cannot wire, saying why', () => {
    const vlan: NetworkSegment = { ...flat('v', 'physnet1'), networkType: 'vlan', segmentationId: 100 };
    const noTunnel = { ...settings, tunnelIp: undefined };
    expect(planNetworks([vlan], settings, [], 'no 802.1q').failures.get('v')).toMatch(/VLAN networks cannot be wired on host h1: no 802.1q/);
    expect(planNetworks([vlan], settings, [], undefined).wired[0]?.uplink).toEqual({ kind: 'vlan', device: 'eth1.100', parent: 'eth1', vlanId: 100 });
    expect(planNetworks([vxlan('x', 5)], noTunnel, [], undefined).failures.get('x')).toMatch(/no tunnel endpoint/);
  });

  it('owns bridges, VXLAN devices and VLAN devices of the mapped interfaces by their names, nothing else', () => {
    expect(['brqaaaaaaaaaaa', 'vxlan-5', 'eth1.100'].filter((name) => isNetworkDevice(name, settings))).toHaveLength(3);
    expect(['br0', 'virbr0', 'vxlan0', 'eth0.100', 'eth1', 'docker0'].filter((name) => isNetworkDevice(name, settings))).toEqual([]);
  });
});
