import { type InstancePort } from '@overcast/compute/data-access';
import { type NetworkClient, type NeutronPort } from '../clients/network-client';

/**
 * Binds one of an instance's ports to `host` (a build, a hot-plug, a move between hosts), noting
 * its VIF type on `port`; answers the port as the network service now has it.
 */
export async function bindInstancePort(network: NetworkClient, instanceId: string, port: InstancePort, host: string, fakeHypervisor: boolean): Promise<NeutronPort> {
  const bound = await network.bindPort(port.portId, instanceId, host);
  port.vifType = bound['binding:vif_type'] ?? 'unbound';
  // A fake hypervisor plugs nothing, so it needs no network agent on its host; a real one does.
  if (!fakeHypervisor && (port.vifType === 'binding_failed' || port.vifType === 'unbound')) {
    throw new Error(`Binding failed for port ${port.portId}: no network agent wires ports on host ${host}.`);
  }
  return bound;
}
