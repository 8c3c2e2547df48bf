import { LocalVlans } from './local-vlans';

describe('LocalVlans', () => {
  it('gives each new network the lowest free tag and keeps it while the network stays', () => {
    const vlans = new LocalVlans();
    expect([...vlans.assign(['a', 'b'])]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(vlans.assign(['b', 'c'])).toEqual(
      new Map([
        ['b', 2],
        ['c', 1],
      ]),
    );
  });

  it('takes over the tags found on the ports after a restart, unless a tag is taken or out of range', () => {
    const vlans = new LocalVlans();
    vlans.recover('a', 7);
    vlans.recover('b', 7);
    vlans.recover('c', 4095);
    expect(vlans.assign(['a', 'b', 'c'])).toEqual(
      new Map([
        ['a', 7],
        ['b', 1],
        ['c', 2],
      ]),
    );
  });

  it('says so when every tag is taken', () => {
    const vlans = new LocalVlans();
    const networks = Array.from({ length: 4094 }, (_, i) => `net-${i}`);
    expect(vlans.assign(networks).get('net-4093')).toBe(4094);
    expect(() => vlans.assign([...networks, 'one-more'])).toThrow('all 4094 local VLANs of the integration bridge are taken');
  });
});
