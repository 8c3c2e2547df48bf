export { OvsDriver } from './ovs.driver';
export { type OvsSettings, SYSTEM_OVSDB_SOCKET } from './ovs-settings';
