import { type BlockDeviceSpec } from '@overcast/compute/contracts';
import { diskXml, type DomainDefinition, domainXml, escapeXml, interfaceXml } from './domain-xml';
import { cpuInfoFromCapabilities, novaVersion } from './host-facts';
import { type VolumeHostSettings, volumeDisk as volumeDiskOn } from './volume-disk';

const domain: DomainDefinition = {
  name: 'instance-3f0e8f8e-93a4-4d2c-9d8b-6f4e0e6d2a11',
  uuid: '3f0e8f8e-93a4-4d2c-9d8b-6f4e0e6d2a11',
  title: `Bob's <web> & "db"`,
  virtType: 'qemu',
  arch: 'x86_64',
  memoryMb: 512,
  vcpus: 2,
  kernel: { path: '/i/kernel', initrd: '/i/ramdisk', cmdline: 'console=ttyS0 root=/dev/vda' },
  disks: [{ type: 'file', path: '/i/disk', format: 'qcow2', target: 'vda' }],
  interfaces: [{ mac: 'fa:16:3e:00:00:01', tap: 'tap0123456789a', mtu: 1450 }],
  consoleLog: '/i/console.log',
};

/** A compute host's defaults: no secret of its own for rbd, qemu is root to NFS servers. */
const HOST: VolumeHostSettings = { nfsUser: 'root', nfsGroup: 'root' };
const volumeDisk = (device: BlockDeviceSpec, host: VolumeHostSettings = HOST) => volumeDiskOn(device, host);

function volume(type: string, data: Record<string, unknown>): BlockDeviceSpec {
  return { volumeId: '0d2f5a0e-1111-2222-3333-444455556666', deviceName: 'vdb', connectionInfo: { driver_volume_type: type, data } };
}

describe('domainXml', () => {
  it('escapes what users name, in text and in attributes', () => {
    expect(escapeXml(`a&b<c>'d"`)).toBe('a&amp;b&lt;c&gt;&apos;d&quot;');
    const xml = domainXml(domain);
    expect(xml).toContain('<title>Bob&apos;s &lt;web&gt; &amp; &quot;db&quot;</title>');
    expect(diskXml({ type: 'file', path: "/i/it's", format: 'raw', target: 'vdc' })).toContain("<source file='/i/it&apos;s'/>");
  });

  it('writes a TCG domain with direct kernel boot, ACPI, a file console and no balloon', () => {
    const xml = domainXml(domain);
    expect(xml).toMatch(/^<domain type='qemu'>/);
    expect(xml).toContain(`<uuid>${domain.uuid}</uuid>`);
    expect(xml).toContain("<memory unit='MiB'>512</memory>");
    expect(xml).toContain('<kernel>/i/kernel</kernel><initrd>/i/ramdisk</initrd><cmdline>console=ttyS0 root=/dev/vda</cmdline>');
    expect(xml).toContain('<features><acpi/><apic/></features>');
    expect(xml).toContain("<serial type='file'><source path='/i/console.log' append='on'/><target port='0'/></serial>");
    expect(xml).toContain("<memballoon model='none'/>");
    expect(xml).not.toContain('<graphics');
    expect(xml).not.toContain('<cpu');
  });

  it('boots from the disk without a kernel, and asks for the host CPU model under KVM', () => {
    const xml = domainXml({ ...domain, kernel: undefined, virtType: 'kvm' });
    expect(xml).toContain("<boot dev='hd'/>");
    expect(xml).toContain("<cpu mode='host-model'/>");
  });

  it('plugs a NIC into the existing tap without managing it', () => {
    expect(interfaceXml(domain.interfaces[0] as DomainDefinition['interfaces'][number])).toBe(
      "<interface type='ethernet'><mac address='fa:16:3e:00:00:01'/><target dev='tap0123456789a' managed='no'/><model type='virtio'/><mtu size='1450'/></interface>",
    );
  });
});

describe('volumeDisk', () => {
  it('makes a local volume a file disk in its format', () => {
    expect(diskXml(volumeDisk(volume('local', { device_path: '/v/volume-1', format: 'qcow2' })))).toBe(
      "<disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='/v/volume-1'/><target dev='vdb' bus='virtio'/><serial>0d2f5a0e-1111-2222-3</serial></disk>",
    );
  });

  it("makes an NFS volume a network disk qemu reaches itself, as the host's NFS identity", () => {
    expect(diskXml(volumeDisk(volume('nfs', { export: 'nas:/srv/volumes/', name: 'volume-1', format: 'raw' })))).toContain(
      "<source protocol='nfs' name='/srv/volumes/volume-1'><host name='nas'/><identity user='root' group='root'/></source>",
    );
    expect(diskXml(volumeDisk(volume('nfs', { export: 'nas:/v', name: 'volume-1', format: 'raw' }), { nfsUser: 'libvirt-qemu', nfsGroup: '+114' }))).toContain(
      "<identity user='libvirt-qemu' group='+114'/>",
    );
    expect(() => volumeDisk(volume('nfs', { export: 'nas', name: 'volume-1', format: 'raw' }))).toThrow("is not 'server:/path'");
  });

  it('makes an RBD volume a raw network disk on every monitor, with cephx when auth is on', () => {
    const open = diskXml(volumeDisk(volume('rbd', { name: 'volumes/volume-1', hosts: ['10.0.0.1', '10.0.0.2'], ports: ['6789', '6789'], auth_enabled: false })));
    expect(open).toContain("<driver name='qemu' type='raw'/><source protocol='rbd' name='volumes/volume-1'><host name='10.0.0.1' port='6789'/><host name='10.0.0.2' port='6789'/></source>");
    expect(open).not.toContain('<auth');
    const cephx = volume('rbd', { name: 'volumes/volume-1', hosts: ['10.0.0.1'], ports: ['6789'], auth_enabled: true, auth_username: 'cinder', secret_type: 'ceph', secret_uuid: 'b0e1c2d3-0000-1111-2222-333344445555' });
    expect(diskXml(volumeDisk(cephx))).toContain("<auth username='cinder'><secret type='ceph' uuid='b0e1c2d3-0000-1111-2222-333344445555'/></auth>");
    // The connection info's secret wins over the host's (Cinder's rbd_secret_uuid over Nova's).
    expect(diskXml(volumeDisk(cephx, { ...HOST, rbdSecretUuid: 'c0000000-0000-4000-8000-000000000000', rbdUser: 'nova' }))).toContain(
      "<auth username='cinder'><secret type='ceph' uuid='b0e1c2d3-0000-1111-2222-333344445555'/></auth>",
    );
  });

  it("takes the host's libvirt secret (Nova's rbd_secret_uuid and rbd_user) when the connection info names none", () => {
    const unnamed = volume('rbd', { name: 'volumes/volume-1', hosts: ['10.0.0.1'], ports: ['6789'], auth_enabled: true, auth_username: 'cinder', secret_type: 'ceph', secret_uuid: null });
    const secret = 'c0000000-0000-4000-8000-000000000000';
    expect(diskXml(volumeDisk(unnamed, { ...HOST, rbdSecretUuid: secret }))).toContain(`<auth username='cinder'><secret type='ceph' uuid='${secret}'/></auth>`);
    expect(diskXml(volumeDisk(unnamed, { ...HOST, rbdSecretUuid: secret, rbdUser: 'nova' }))).toContain(`<auth username='nova'><secret type='ceph' uuid='${secret}'/></auth>`);
    expect(() => volumeDisk(unnamed)).toThrow('neither its connection info nor this compute host (setting libvirt.rbdSecretUuid) names the libvirt secret that holds the key');
    // Without cephx the host's secret is not used.
    expect(diskXml(volumeDisk({ ...unnamed, connectionInfo: { driver_volume_type: 'rbd', data: { ...unnamed.connectionInfo.data, auth_enabled: false } } }, { ...HOST, rbdSecretUuid: secret }))).not.toContain('<auth');
  });

  it('refuses a connection type it does not attach, naming the ones it does', () => {
    expect(() => volumeDisk(volume('iscsi', {}))).toThrow('its connection type iscsi is not one of local, nfs, rbd');
  });
});

describe('host facts', () => {
  it("writes QEMU's version as Nova's integer", () => {
    expect(novaVersion('7.2.0')).toBe(7_002_000);
    expect(novaVersion('7.2.22')).toBe(7_002_022);
  });

  it("reads Nova's cpu_info from libvirt's capabilities", () => {
    const capabilities = `<capabilities><host><uuid>x</uuid><cpu><arch>x86_64</arch><model>kvm64</model><vendor>AMD</vendor>
      <topology sockets='1' dies='1' cores='2' threads='1'/><feature name='vme'/><feature name='avx2'/></cpu>
      <topology><cells num='1'><cell id='0'></cell></cells></topology></host></capabilities>`;
    expect(cpuInfoFromCapabilities(capabilities)).toEqual({ arch: 'x86_64', model: 'kvm64', vendor: 'AMD', topology: { cells: 1, sockets: 1, cores: 2, threads: 1 }, features: ['avx2', 'vme'] });
  });
});
