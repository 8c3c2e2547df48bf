import { type L2DriverName } from '@overcast/network/contracts';
import { type L2Driver } from './l2-driver';
import { LinuxBridgeDriver } from './linuxbridge/linuxbridge.driver';
import { OvsDriver } from './ovs/ovs.driver';
import { type OvsSettings } from './ovs/ovs-settings';

/** The driver a host's config names (`network-agent.driver`); the config schema refuses any other name. */
export function createL2Driver(name: L2DriverName, settings: OvsSettings): L2Driver {
  switch (name) {
    case 'linuxbridge':
      return new LinuxBridgeDriver(settings);
    case 'ovs':
      return new OvsDriver(settings);
  }
}
