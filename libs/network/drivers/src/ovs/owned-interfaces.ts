import { type OvsInterface } from './ovs-switch';

/**
 * How the driver marks what it made in OVS (external_ids on the Interface), so that apply() can
 * remove what the state no longer describes, recover local VLANs after a restart, and removeAll()
 * leaves other people's ports alone.
 */
export type OwnedRole = 'instance' | 'namespace' | 'tunnel' | 'patch' | 'physical';

export interface Ownership {
  role: OwnedRole;
  portId?: string;
  networkId?: string;
  /** How an instance port's device was made (`tap`, `veth:<namespace>`), to remake it when that changes. */
  device?: string;
  /** A namespace leg's namespace, to unplug it without the port. */
  namespace?: string;
  /** A tunnel port's remote IP. */
  remoteIp?: string;
}

const KEYS: Record<keyof Ownership, string> = {
  role: 'overcast-role',
  portId: 'overcast-port-id',
  networkId: 'overcast-network-id',
  device: 'overcast-device',
  namespace: 'overcast-namespace',
  remoteIp: 'overcast-remote-ip',
};

/** `ovs-vsctl set Interface <name> …` arguments that record the ownership. */
export function ownershipColumns(ownership: Ownership): string[] {
  return Object.entries(ownership)
    .filter(([, value]) => value !== undefined)
    .map(([field, value]) => `external_ids:${KEYS[field as keyof Ownership]}=${JSON.stringify(value)}`);
}

export function ownershipOf(iface: OvsInterface): Ownership | undefined {
  const ids = iface.externalIds;
  const role = ids[KEYS.role] as OwnedRole | undefined;
  if (role === undefined) {
    return undefined;
  }
  return {
    role,
    portId: ids[KEYS.portId],
    networkId: ids[KEYS.networkId],
    device: ids[KEYS.device],
    namespace: ids[KEYS.namespace],
    remoteIp: ids[KEYS.remoteIp],
  };
}

/** The interfaces of one role, with their ownership. */
export function ownedInterfaces(interfaces: readonly OvsInterface[], role: OwnedRole): (OvsInterface & { owner: Ownership })[] {
  return interfaces.flatMap((iface) => {
    const owner = ownershipOf(iface);
    return owner?.role === role ? [{ ...iface, owner }] : [];
  });
}
