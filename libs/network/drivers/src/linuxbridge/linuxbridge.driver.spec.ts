import { HostCommandError, HostCommands } from '../host/host-commands';
import { LinuxBridgeDriver } from './linuxbridge.driver';

/** A host where every tool answers but dnsmasq, which is not installed. */
class HostWithoutDnsmasq extends HostCommands {
  readonly calls: string[] = [];

  override runOnMachine(command: string, args: readonly string[]): Promise<string> {
    this.calls.push(command);
    return command === 'dnsmasq' ? Promise.reject(new HostCommandError(`${command} ${args.join(' ')}`, 'ENOENT', `spawn ${command} ENOENT`)) : Promise.resolve('');
  }
}

describe('LinuxBridgeDriver.start', () => {
  it('names the missing tool and its package, and checks again on the next call', async () => {
    const host = new HostWithoutDnsmasq();
    const driver = new LinuxBridgeDriver({ host: 'h1', physicalInterfaces: {}, stateDirectory: '/nonexistent' }, host);
    await expect(driver.start()).rejects.toThrow(/needs dnsmasq \(Debian package dnsmasq-base\).*ENOENT/);
    const checks = host.calls.length;
    await expect(driver.start()).rejects.toThrow(/dnsmasq-base/);
    expect(host.calls.length).toBe(2 * checks);
  });
});
