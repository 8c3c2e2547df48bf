import { tunnelPortName } from './ovs-names';

describe('tunnelPortName', () => {
  it('names the port to an IPv4 peer after its address in hex, as Neutron does', () => {
    expect(tunnelPortName('10.200.0.2')).toBe('vxlan-0ac80002');
  });

  it('names the port to an IPv6 peer after a digest, within the 15 characters of a device name', () => {
    const name = tunnelPortName('2001:db8::2');
    expect(name).toMatch(/^vxlan-[0-9a-f]{8}$/);
    expect(tunnelPortName('2001:db8::3')).not.toBe(name);
  });
});
