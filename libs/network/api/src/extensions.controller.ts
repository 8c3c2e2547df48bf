import { Controller, Get, Param } from '@nestjs/common';
import { notFound } from '@overcast/shared/core';

/** The extensions this service implements, exactly: clients decide from this list what they may send. */
const EXTENSIONS: [alias: string, name: string, description: string][] = [
  ['agent', 'agent', 'The agent management extension.'],
  ['allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'],
  ['availability_zone', 'Availability Zone', 'The availability zone extension.'],
  ['binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'],
  ['external-net', 'Neutron external network', 'Adds external network attribute to network resource.'],
  ['ext-gw-mode', 'Neutron L3 Configurable external gateway mode', 'Extension of the router abstraction for specifying whether SNAT should occur on the external gateway'],
  ['extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router'],
  ['net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'],
  ['net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute for a network resource.'],
  ['network-ip-availability', 'Network IP Availability', 'Provides IP availability data for each network and subnet.'],
  ['network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.'],
  ['pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'],
  ['port-security', 'Port Security', 'Provides port security'],
  ['project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'],
  ['provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'],
  ['quotas', 'Quota management support', 'Expose functions for quotas management per project'],
  ['quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'],
  ['router', 'Neutron L3 Router', 'Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.'],
  ['router_availability_zone', 'Router Availability Zone', 'Availability zone support for router.'],
  ['security-group', 'security-group', 'The security groups extension.'],
  ['sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'],
  ['standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'],
  ['standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.'],
  ['standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.'],
  ['stateful-security-group', 'Stateful security group', 'Indicates if the security group is stateful or not'],
  ['subnet_allocation', 'Subnet Allocation', 'Enables allocation of subnets from a subnet pool'],
];

const view = ([alias, name, description]: (typeof EXTENSIONS)[number]) => ({ alias, name, description, updated: '2025-01-01T00:00:00-00:00', links: [] });

@Controller('v2.0/extensions')
export class ExtensionsController {
  @Get()
  list() {
    return { extensions: EXTENSIONS.map(view) };
  }

  @Get(':alias')
  show(@Param('alias') alias: string) {
    const extension = EXTENSIONS.find(([candidate]) => candidate === alias);
    if (!extension) {
      throw notFound(`Extension with alias ${alias} does not exist`);
    }
    return { extension: view(extension) };
  }
}
