/** The VLAN ids a local VLAN may take on br-int; 4095 is kept for ports that must not forward. */
export const FIRST_LOCAL_VLAN = 1;
export const LAST_LOCAL_VLAN = 4094;
/** Neutron's dead VLAN: a port tagged with it shares no VLAN with anything. */
export const DEAD_VLAN = 4095;

/**
 * The local VLAN of each network on br-int. A network keeps its tag for as long as it is on the
 * host (changing it would cut its ports off), including across agent restarts: the tags are read
 * back from the ports (`recover`) before the first allocation.
 */
export class LocalVlans {
  private readonly tags = new Map<string, number>();

  /** Takes over the tag a port of `networkId` already has, unless either is taken. */
  recover(networkId: string, tag: number): void {
    const usable = tag >= FIRST_LOCAL_VLAN && tag <= LAST_LOCAL_VLAN;
    if (usable && !this.tags.has(networkId) && !this.inUse().has(tag)) {
      this.tags.set(networkId, tag);
    }
  }

  /** Keeps the tags of `networkIds`, gives the new ones the lowest free tag, frees the others. */
  assign(networkIds: readonly string[]): ReadonlyMap<string, number> {
    const wanted = new Set(networkIds);
    for (const networkId of this.tags.keys()) {
      if (!wanted.has(networkId)) {
        this.tags.delete(networkId);
      }
    }
    for (const networkId of wanted) {
      if (!this.tags.has(networkId)) {
        this.tags.set(networkId, this.lowestFree());
      }
    }
    return new Map(this.tags);
  }

  clear(): void {
    this.tags.clear();
  }

  private inUse(): Set<number> {
    return new Set(this.tags.values());
  }

  private lowestFree(): number {
    const used = this.inUse();
    for (let tag = FIRST_LOCAL_VLAN; tag <= LAST_LOCAL_VLAN; tag++) {
      if (!used.has(tag)) {
        return tag;
      }
    }
    throw new Error(`all ${LAST_LOCAL_VLAN} local VLANs of the integration bridge are taken`);
  }
}
