import { type NetworkSegment } from '@overcast/network/contracts';
import { hostFlows, type HostFlowInputs } from './host-flows';
import { resolveOvsSettings } from './ovs-settings';

const vxlan: NetworkSegment = { networkId: 'tenant', networkType: 'vxlan', segmentationId: 1001, mtu: 1450 };
const flat: NetworkSegment = { networkId: 'public', networkType: 'flat', physicalNetwork: 'physnet1', mtu: 1500 };
const vlan: NetworkSegment = { networkId: 'provider', networkType: 'vlan', physicalNetwork: 'physnet1', segmentationId: 100, mtu: 1500 };

/** One host: the tenant network on local VLAN 1 (VNI 1001), the flat one on 2, VLAN 100 on 3; two peers. */
function inputs(overrides: Partial<HostFlowInputs> = {}): HostFlowInputs {
  return {
    settings: resolveOvsSettings({ host: 'h1', tunnelIp: '192.0.2.1', physicalInterfaces: { physnet1: 'eth1' }, stateDirectory: '/tmp' }),
    networks: [vxlan, flat, vlan],
    tunnelPeers: [
      { host: 'h2', ip: '192.0.2.2', segmentationIds: [1001] },
      { host: 'h3', ip: '192.0.2.3', segmentationIds: [2002] },
    ],
    localVlans: new Map([
      ['tenant', 1],
      ['public', 2],
      ['provider', 3],
    ]),
    ports: [
      { ofport: 10, localVlan: 1, macAddress: 'fa:16:3e:00:00:10', adminStateUp: true, firewall: { macAddress: 'fa:16:3e:00:00:10', sources: [], rules: [] } },
      { ofport: 11, localVlan: 1, macAddress: 'fa:16:3e:00:00:11', adminStateUp: true },
      { ofport: 12, localVlan: 4095, macAddress: 'fa:16:3e:00:00:12', adminStateUp: false },
    ],
    ofports: new Map([
      ['patch-tun', 1],
      ['patch-int', 1],
      ['vxlan-c0000202', 2],
      ['vxlan-c0000203', 3],
      ['int-br-physnet1', 4],
      ['phy-br-physnet1', 1],
      ['eth1', 2],
    ]),
    ...overrides,
  };
}

describe('host flows', () => {
  const flows = hostFlows(inputs());
  const intBridge = flows.get('br-int') ?? [];

  it('writes every bridge of the host', () => {
    expect([...flows.keys()]).toEqual(['br-tun', 'br-physnet1', 'br-int']);
  });

  it('sends a VXLAN network only to the peers that have its VNI, and takes it only from them', () => {
    expect(flows.get('br-tun')).toEqual([
      'table=0,priority=100,in_port=1,actions=goto_table:1',
      'table=0,priority=100,in_port=2,actions=goto_table:2',
      'table=0,priority=100,in_port=3,actions=goto_table:2',
      'table=0,priority=0,actions=drop',
      'table=1,priority=100,dl_vlan=1,actions=pop_vlan,set_field:1001->tun_id,output:2',
      'table=1,priority=0,actions=drop',
      'table=2,priority=100,in_port=2,tun_id=1001,actions=push_vlan:0x8100,set_field:4097->vlan_vid,output:1',
      'table=2,priority=0,actions=drop',
    ]);
  });

  it('puts the flat network untagged and the VLAN network with its tag on the wire', () => {
    expect(flows.get('br-physnet1')).toEqual([
      'table=0,priority=100,in_port=1,dl_vlan=2,actions=pop_vlan,output:2',
      'table=0,priority=100,in_port=1,dl_vlan=3,actions=set_field:4196->vlan_vid,output:2',
      'table=0,priority=100,in_port=2,actions=output:1',
      'table=0,priority=0,actions=drop',
    ]);
    expect(intBridge).toContain('table=0,priority=100,in_port=4,vlan_tci=0x0000/0x1fff,actions=push_vlan:0x8100,set_field:4098->vlan_vid,set_field:2->reg6,goto_table:20');
    expect(intBridge).toContain('table=0,priority=100,in_port=4,dl_vlan=100,actions=set_field:4099->vlan_vid,set_field:3->reg6,goto_table:20');
    expect(intBridge).toContain('table=0,priority=100,in_port=1,dl_vlan=1,actions=set_field:1->reg6,goto_table:20');
  });

  it('sends a filtered port through its egress firewall, an unfiltered one straight to forwarding, and drops an admin-down one', () => {
    expect(intBridge).toContain('table=0,priority=100,in_port=10,actions=set_field:10->reg5,set_field:1->reg6,goto_table:10');
    expect(intBridge).toContain('table=0,priority=100,in_port=11,actions=set_field:1->reg6,goto_table:20');
    expect(intBridge).toContain('table=0,priority=100,in_port=12,actions=drop');
    expect(intBridge).toContain('table=0,priority=0,actions=drop');
  });

  it('hands unicast for a filtered port to its ingress firewall, without the VLAN header, and the rest to NORMAL', () => {
    expect(intBridge).toContain('table=20,priority=100,reg6=1,dl_dst=fa:16:3e:00:00:10,vlan_tci=0x0000/0x1fff,actions=set_field:10->reg5,goto_table:30');
    expect(intBridge).toContain('table=20,priority=100,reg6=1,dl_dst=fa:16:3e:00:00:10,vlan_tci=0x1000/0x1000,actions=pop_vlan,set_field:10->reg5,goto_table:30');
    expect(intBridge.filter((line) => line.includes('fa:16:3e:00:00:11'))).toEqual([]);
    expect(intBridge).toContain('table=20,priority=0,actions=NORMAL');
  });

  it('leaves br-tun out without a tunnel IP, and refuses to write flows for a patch port OVS has not opened', () => {
    const settings = resolveOvsSettings({ host: 'h1', physicalInterfaces: {}, stateDirectory: '/tmp' });
    expect([...hostFlows(inputs({ settings, networks: [], ports: [] })).keys()]).toEqual(['br-int']);
    expect(() => hostFlows(inputs({ ofports: new Map() }))).toThrow('OVS has not opened patch-tun (did start() run?)');
  });
});
