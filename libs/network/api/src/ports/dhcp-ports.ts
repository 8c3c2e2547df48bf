import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { IpAllocationEntity, NetworkEntity, PortEntity, SubnetEntity } from '@overcast/network/data-access';
import { DataSource } from 'typeorm';
import { AgentsService } from '../agents/agents.service';
import { allocateAddresses, insertPort, removePort } from './port-writer';

/**
 * The DHCP server's port on each network (device_owner `network:dhcp`), which Neutron's DHCP agent
 * makes: one on every network with a DHCP subnet while a DHCP agent works, with an address on each
 * such subnet, bound to the agent's host.
 */
@Injectable()
export class DhcpPorts {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    private readonly agents: AgentsService,
  ) {}

  async reconcileAll(): Promise<void> {
    for (const network of await this.dataSource.manager.find(NetworkEntity, { select: { id: true } })) {
      await this.reconcile(network.id);
    }
  }

  /** Makes the network's DHCP port match its subnets and the DHCP host; true when it changed. */
  async reconcile(networkId: string): Promise<boolean> {
    const host = this.agents.hostFor('dhcp', await this.agents.working());
    return this.dataSource.transaction(async (manager) => {
      const network = await manager.findOne(NetworkEntity, { where: { id: networkId }, lock: { mode: 'pessimistic_write' } });
      if (!network) {
        return false;
      }
      // SLAAC alone needs no DHCP server; DHCPv6-stateless does (for its options), as IPv4 and stateful do.
      const subnets = (await manager.findBy(SubnetEntity, { networkId, enableDhcp: true })).filter((subnet) => subnet.ipv6AddressMode !== 'slaac');
      let port = await manager.findOneBy(PortEntity, { networkId, deviceOwner: 'network:dhcp' });
      if (subnets.length === 0 || host === undefined) {
        if (port) {
          await removePort(manager, port.id);
        }
        return port !== null;
      }
      let changed = false;
      if (!port) {
        port = await insertPort(manager, {
          network,
          projectId: network.projectId,
          deviceId: `dhcp-${network.id}`,
          deviceOwner: 'network:dhcp',
          fixedIps: [],
          securityGroupIds: [],
          portSecurityEnabled: false,
          bindingHostId: host,
        });
        changed = true;
      } else if (port.bindingHostId !== host) {
        await manager.update(PortEntity, { id: port.id }, { bindingHostId: host, status: 'DOWN' });
        changed = true;
      }
      const addressed = new Set((await manager.findBy(IpAllocationEntity, { portId: port.id })).map((ip) => ip.subnetId));
      const missing = subnets.filter((subnet) => !addressed.has(subnet.id));
      if (missing.length > 0) {
        await allocateAddresses(manager, port, missing.map((subnet) => ({ subnet_id: subnet.id })));
        changed = true;
      }
      return changed;
    });
  }
}
