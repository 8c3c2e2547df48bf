/**
 * The network service's notifications on the bus, Neutron's `<resource>.<action>.end` named as
 * every Overcast event is: `network.<resource>.<create|update|delete>`. Payload: the resource as
 * `GET /v2.0/<resources>/{id}` shows it to an admin. Version 1.0.
 */
export const NETWORK_RESOURCES = ['network', 'subnet', 'subnetpool', 'port', 'router', 'floatingip', 'security_group', 'security_group_rule'] as const;
export type NetworkResource = (typeof NETWORK_RESOURCES)[number];
export type NetworkAction = 'create' | 'update' | 'delete';

export const networkEvent = (resource: NetworkResource, action: NetworkAction) => `network.${resource}.${action}`;
