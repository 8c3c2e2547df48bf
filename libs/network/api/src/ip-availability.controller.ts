import { Controller, Get, Param, Query, Req } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { NetworkEntity, SubnetEntity } from '@overcast/network/data-access';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { type Request } from 'express';
import { DataSource, In } from 'typeorm';
import { isUuid } from './common/access';
import { Caller, resourceNotFound } from './common/caller';
import { collectionUrl } from './common/crud-controller';
import { addressOf } from './common/ip-math';
import { onlyView } from './common/standard-view';
import { listBody, listPage, selectFields } from './common/neutron-list';
import { AgentsService } from './agents/agents.service';

/** How many addresses a subnet's pools hold. */
function poolSize(subnet: SubnetEntity): number {
  return subnet.allocationPools.reduce((sum, pool) => sum + Number(addressOf(pool.end).value - addressOf(pool.start).value + 1n), 0);
}

/** `/v2.0/network-ip-availabilities` (admin): addresses in the pools, and how many are used. */
@Controller('v2.0/network-ip-availabilities')
export class IpAvailabilityController {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>, @Req() request: Request) {
    new Caller(auth, this.policy).enforce('ip_availability');
    const views = await this.views(await this.dataSource.manager.find(NetworkEntity));
    return listBody('network_ip_availabilities', listPage(views, query, { url: collectionUrl(request), maxLimit: 1000, sortable: ['network_id', 'network_name'] }));
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    new Caller(auth, this.policy).enforce('ip_availability');
    const network = isUuid(id) ? await this.dataSource.manager.findOneBy(NetworkEntity, { id }) : null;
    if (!network) {
      throw resourceNotFound('Network', id);
    }
    return { network_ip_availability: selectFields(onlyView(await this.views([network])), query) };
  }

  private async views(networks: NetworkEntity[]) {
    const subnets = networks.length === 0 ? [] : await this.dataSource.manager.findBy(SubnetEntity, { networkId: In(networks.map((network) => network.id)) });
    const used = new Map(
      ((await this.dataSource.query('SELECT subnet_id, count(*) AS used FROM ip_allocations GROUP BY subnet_id')) as { subnet_id: string; used: string }[]).map((row) => [row.subnet_id, Number(row.used)]),
    );
    return networks.map((network) => {
      const own = subnets
        .filter((subnet) => subnet.networkId === network.id)
        .map((subnet) => ({ subnet_id: subnet.id, subnet_name: subnet.name, cidr: subnet.cidr, ip_version: subnet.ipVersion, total_ips: poolSize(subnet), used_ips: used.get(subnet.id) ?? 0 }));
      return {
        network_id: network.id,
        network_name: network.name,
        tenant_id: network.projectId,
        project_id: network.projectId,
        id: network.id,
        total_ips: own.reduce((sum, subnet) => sum + subnet.total_ips, 0),
        used_ips: own.reduce((sum, subnet) => sum + subnet.used_ips, 0),
        subnet_ip_availability: own,
      };
    });
  }
}

/** `/v2.0/availability_zones`: the zones where agents serve networks (DHCP) and routers (L3). */
@Controller('v2.0/availability_zones')
export class AvailabilityZonesController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  async list(@Query() query: Record<string, unknown>, @Req() request: Request) {
    const zones = [
      ...(await this.agents.availabilityZones('network')).map((name) => ({ name, resource: 'network', state: 'available' })),
      ...(await this.agents.availabilityZones('router')).map((name) => ({ name, resource: 'router', state: 'available' })),
    ].map((zone) => ({ ...zone, id: `${zone.resource}-${zone.name}` }));
    const page = listPage(zones, query, { url: collectionUrl(request), maxLimit: 1000, sortable: ['name', 'resource'] });
    return { availability_zones: page.items.map(({ id: _id, ...zone }) => zone) };
  }
}
