export * from './l2-driver';
export * from './firewall/iptables-firewall';
export * from './host/host-commands';
export * from './host/namespace-plugger';
export * from './linuxbridge/linuxbridge.driver';
export * from './registry';
export * from './ovs';
