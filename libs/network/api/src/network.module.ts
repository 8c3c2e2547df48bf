import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { NETWORK_ENTITIES } from '@overcast/network/data-access';
import { remoteAuthModule } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import { type DataSource } from 'typeorm';
import { AgentNotifier } from './agents/agent-notifier';
import { AgentsController } from './agents/agents.controller';
import { AgentsService } from './agents/agents.service';
import { ChangeFeed } from './common/changes';
import { resourceController } from './common/crud-controller';
import { ExtensionsController } from './extensions.controller';
import { FloatingIpsService } from './floatingips/floatingips.service';
import { AvailabilityZonesController, IpAvailabilityController } from './ip-availability.controller';
import { type NetworkSettings } from './network.config';
import { NETWORK_POLICY } from './network.policy';
import { NETWORK_SETTINGS } from './network.tokens';
import { NetworksService } from './networks/networks.service';
import { DhcpPorts } from './ports/dhcp-ports';
import { PortsService } from './ports/ports.service';
import { QuotasController } from './quotas/quotas.controller';
import { QuotasService } from './quotas/quotas.service';
import { RouterInterfacesController } from './routers/router-interfaces.controller';
import { RoutersService } from './routers/routers.service';
import { SecurityGroupRulesResource } from './security-groups/security-group-rules.resource';
import { SecurityGroupsService } from './security-groups/security-groups.service';
import { SubnetPoolsService } from './subnetpools/subnetpools.service';
import { SubnetsService } from './subnets/subnets.service';
import { VersionsController } from './versions.controller';
import { AgentGateway } from './wiring/agent-gateway';
import { HostStateService } from './wiring/host-state.service';

export interface NetworkModuleOptions {
  common: CommonSettings;
  settings: NetworkSettings;
  dataSource: DataSource;
}

const RESOURCES = [
  resourceController({ path: 'networks', collection: 'networks', member: 'network', service: NetworksService }),
  resourceController({ path: 'subnets', collection: 'subnets', member: 'subnet', service: SubnetsService }),
  resourceController({ path: 'subnetpools', collection: 'subnetpools', member: 'subnetpool', service: SubnetPoolsService }),
  resourceController({ path: 'ports', collection: 'ports', member: 'port', service: PortsService }),
  resourceController({ path: 'routers', collection: 'routers', member: 'router', service: RoutersService }),
  resourceController({ path: 'floatingips', collection: 'floatingips', member: 'floatingip', service: FloatingIpsService }),
  resourceController({ path: 'security-groups', collection: 'security_groups', member: 'security_group', service: SecurityGroupsService }),
  resourceController({ path: 'security-group-rules', collection: 'security_group_rules', member: 'security_group_rule', service: SecurityGroupRulesResource }),
];

/** The Neutron v2.0 API, and the server side of the network agents' protocol. */
@Module({})
export class NetworkModule {
  static forRoot(options: NetworkModuleOptions): DynamicModule {
    const { common, settings } = options;
    return {
      module: NetworkModule,
      imports: [
        TypeOrmModule.forRootAsync({ name: 'network', useFactory: () => ({ type: 'postgres', name: 'network' }), dataSourceFactory: async () => options.dataSource }),
        TypeOrmModule.forFeature(NETWORK_ENTITIES, 'network'),
        BusModule.forRoot({ url: common.transportUrl }),
        remoteAuthModule({ common, service: 'network', serviceUserName: settings.serviceUserName, servicePassword: settings.servicePassword, policyDefaults: NETWORK_POLICY }),
      ],
      // The router actions come before the routers' own routes, which would take `{id}/add_router_interface` for an id.
      controllers: [VersionsController, ExtensionsController, RouterInterfacesController, ...RESOURCES, QuotasController, AgentsController, IpAvailabilityController, AvailabilityZonesController],
      providers: [
        { provide: NETWORK_SETTINGS, useValue: settings },
        AgentsService,
        AgentNotifier,
        ChangeFeed,
        QuotasService,
        NetworksService,
        SubnetPoolsService,
        SubnetsService,
        DhcpPorts,
        PortsService,
        SecurityGroupsService,
        SecurityGroupRulesResource,
        RoutersService,
        FloatingIpsService,
        HostStateService,
        AgentGateway,
      ],
    };
  }
}
