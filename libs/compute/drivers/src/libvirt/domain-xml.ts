/** A disk the domain holds: a file on this host, or a network disk qemu reaches itself. */
export type DomainDisk =
  | { type: 'file'; path: string; format: string; target: string; readOnly?: boolean; serial?: string }
  | {
      type: 'network';
      protocol: 'nfs' | 'rbd';
      /** nfs: the file's path on the server; rbd: `pool/image`. */
      name: string;
      hosts: { name: string; port?: string }[];
      format: string;
      target: string;
      serial?: string;
      /** Ceph's cephx: the user and the libvirt secret holding its key. */
      auth?: { username: string; secretType: string; secretUuid: string };
      /** nfs: who qemu is to the server (a user and group of this host). */
      identity?: { user: string; group: string };
    };

/** A NIC on a tap device someone else made (the network agent): libvirt only opens it. */
export interface DomainInterface {
  mac: string;
  tap: string;
  mtu?: number;
}

/** Everything a domain definition needs; domainXml() turns it into libvirt's XML. */
export interface DomainDefinition {
  name: string;
  uuid: string;
  /** The server's display name, shown by `virsh list --title`. */
  title: string;
  virtType: 'kvm' | 'qemu';
  arch: string;
  memoryMb: number;
  vcpus: number;
  /** A direct kernel boot: the kernel, its ramdisk and command line. */
  kernel?: { path: string; initrd?: string; cmdline: string };
  disks: DomainDisk[];
  interfaces: DomainInterface[];
  consoleLog: string;
}

/** Text made safe for XML content and for attribute values in either quote. */
export function escapeXml(text: string): string {
  return text.replace(/[&<>'"]/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', "'": '&apos;', '"': '&quot;' })[char] as string);
}

function attributes(values: Record<string, string | number | undefined>): string {
  return Object.entries(values)
    .filter((entry): entry is [string, string | number] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}='${escapeXml(String(value))}'`)
    .join('');
}

function element(name: string, values: Record<string, string | number | undefined>, children: string[] = []): string {
  return children.length === 0 ? `<${name}${attributes(values)}/>` : `<${name}${attributes(values)}>${children.join('')}</${name}>`;
}

function text(name: string, content: string | number): string {
  return `<${name}>${escapeXml(String(content))}</${name}>`;
}

/** A `<disk>`, for the domain definition and for attach-device/detach-device. */
export function diskXml(disk: DomainDisk): string {
  const driver = element('driver', { name: 'qemu', type: disk.format });
  const target = element('target', { dev: disk.target, bus: 'virtio' });
  const serial = disk.serial === undefined ? [] : [text('serial', disk.serial)];
  if (disk.type === 'file') {
    const readOnly = disk.readOnly ? ['<readonly/>'] : [];
    return element('disk', { type: 'file', device: 'disk' }, [driver, element('source', { file: disk.path }), target, ...readOnly, ...serial]);
  }
  const hosts = disk.hosts.map((host) => element('host', { name: host.name, port: host.port }));
  const identity = disk.identity === undefined ? [] : [element('identity', { user: disk.identity.user, group: disk.identity.group })];
  const auth = disk.auth === undefined ? [] : [element('auth', { username: disk.auth.username }, [element('secret', { type: disk.auth.secretType, uuid: disk.auth.secretUuid })])];
  return element('disk', { type: 'network', device: 'disk' }, [driver, element('source', { protocol: disk.protocol, name: disk.name }, [...hosts, ...identity]), ...auth, target, ...serial]);
}

/** An `<interface type='ethernet'>` on an existing tap (`managed='no'`: libvirt neither makes nor deletes it). */
export function interfaceXml(nic: DomainInterface): string {
  const mtu = nic.mtu === undefined ? [] : [element('mtu', { size: nic.mtu })];
  return element('interface', { type: 'ethernet' }, [element('mac', { address: nic.mac }), element('target', { dev: nic.tap, managed: 'no' }), element('model', { type: 'virtio' }), ...mtu]);
}

/**
 * The domain's XML. ACPI is on (without it a guest's poweroff leaves the domain running, and
 * virsh shutdown has nobody to ask); no graphics (`<graphics type='none'/>` is refused); no
 * balloon. The serial console goes to a file that survives restarts (append).
 */
export function domainXml(domain: DomainDefinition): string {
  const os = [
    element('type', { arch: domain.arch, machine: 'pc' }, ['hvm']),
    ...(domain.kernel === undefined
      ? [element('boot', { dev: 'hd' })]
      : [text('kernel', domain.kernel.path), ...(domain.kernel.initrd === undefined ? [] : [text('initrd', domain.kernel.initrd)]), text('cmdline', domain.kernel.cmdline)]),
  ];
  const devices = [
    ...domain.disks.map(diskXml),
    ...domain.interfaces.map(interfaceXml),
    element('serial', { type: 'file' }, [element('source', { path: domain.consoleLog, append: 'on' }), element('target', { port: 0 })]),
    element('memballoon', { model: 'none' }),
  ];
  return [
    `<domain type='${domain.virtType}'>`,
    text('name', domain.name),
    text('uuid', domain.uuid),
    text('title', domain.title),
    element('memory', { unit: 'MiB' }, [String(domain.memoryMb)]),
    text('vcpu', domain.vcpus),
    element('os', {}, os),
    '<features><acpi/><apic/></features>',
    ...(domain.virtType === 'kvm' ? [element('cpu', { mode: 'host-model' })] : []),
    element('clock', { offset: 'utc' }),
    text('on_poweroff', 'destroy'),
    text('on_reboot', 'restart'),
    text('on_crash', 'destroy'),
    element('devices', {}, devices),
    '</domain>',
  ].join('\n');
}
