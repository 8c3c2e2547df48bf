import { type AgentReport, agentTopic, type HostState, NETWORK_AGENT_PATTERNS, NETWORK_SERVER_TOPIC, type PortSpec, type PortStatusReport } from '@overcast/network/contracts';
import { type ApplyResult, type L2Capabilities, L2Driver } from '@overcast/network/drivers';
import { createMessageBus, type MessageBus } from '@overcast/shared/bus';
import { eventually } from '@overcast/shared/testing';
import { randomUUID } from 'node:crypto';
import { NetworkAgent } from './network-agent';
import { networkAgentSettings } from './network-agent.config';

const port = (id: string): PortSpec => ({
  id,
  networkId: 'net',
  macAddress: 'fa:16:3e:00:00:01',
  fixedIps: [],
  adminStateUp: true,
  portSecurityEnabled: true,
  securityGroupIds: [],
  allowedAddressPairs: [],
  device: { kind: 'tap' },
});
const segment = { networkId: 'net', networkType: 'vxlan' as const, segmentationId: 7, mtu: 1450 };
const STATE: HostState = {
  host: 'h1',
  networks: [segment],
  ports: [port('vm-port'), port('broken-port')],
  dhcp: [{ network: segment, port: port('dhcp-port'), subnets: [], hosts: [] }],
  routers: [],
  securityGroups: [],
  tunnelPeers: [],
};

/** A driver that wires nothing on the host: it records what it is asked and can be held mid-apply. */
class RecordingDriver extends L2Driver {
  readonly name = 'linuxbridge' as const;
  applied: HostState[] = [];
  private held?: Promise<void>;
  private release?: () => void;

  hold(): void {
    this.held = new Promise((resolve) => (this.release = resolve));
  }

  letGo(): void {
    this.release?.();
    this.held = undefined;
  }

  protected prepareHost(): Promise<L2Capabilities> {
    return Promise.resolve({ networkTypes: ['flat', 'vxlan'], notes: ['no 802.1q in this kernel'] });
  }

  protected async applyState(state: HostState): Promise<ApplyResult> {
    this.applied.push(state);
    await this.held;
    return { wiredPorts: ['vm-port'], failedPorts: [{ portId: 'broken-port', reason: 'no such namespace' }] };
  }

  protected removeEverything(): Promise<void> {
    return Promise.resolve();
  }
}

describe('NetworkAgent', () => {
  let bus: MessageBus;
  let driver: RecordingDriver;
  let agent: NetworkAgent;
  const reports: AgentReport[] = [];
  const statuses: PortStatusReport[] = [];

  beforeEach(async () => {
    reports.length = 0;
    statuses.length = 0;
    bus = await createMessageBus(`memory://agent-${randomUUID()}`);
    await bus.serve(NETWORK_SERVER_TOPIC, {
      [NETWORK_AGENT_PATTERNS.report]: (report: AgentReport) => void reports.push(report),
      [NETWORK_AGENT_PATTERNS.getHostState]: () => STATE,
      [NETWORK_AGENT_PATTERNS.portStatus]: (status: PortStatusReport) => void statuses.push(status),
    });
    driver = new RecordingDriver();
    const settings = { ...networkAgentSettings.parse({ driver: 'linuxbridge', tunnelIp: '10.0.0.1', physicalInterfaces: 'physnet1:eth1' }), host: 'h1' };
    agent = new NetworkAgent(bus, driver, settings, { info: () => undefined, warn: () => undefined, error: () => undefined });
  });

  afterEach(async () => {
    driver.letGo();
    await agent.stop();
    await bus.close();
  });

  it('reports itself with what its driver can wire, applies its host state and reports the ports it wired and those it could not', async () => {
    await agent.start();
    expect(await eventually(async () => reports, (seen) => seen.length > 0)).toEqual([
      { host: 'h1', agentType: 'Linux bridge agent', binary: 'overcast-network-agent', driver: 'linuxbridge', tunnelIp: '10.0.0.1', networkTypes: ['flat', 'vxlan'], physicalNetworks: ['physnet1'], dhcp: true, l3: true },
    ]);
    expect(driver.applied).toEqual([STATE]);
    // The DHCP server's port is wired with the state as a whole; the failed port is DOWN.
    expect(await eventually(async () => statuses, (seen) => seen.length > 0)).toEqual([{ host: 'h1', active: ['vm-port', 'dhcp-port'], down: ['broken-port'] }]);
  });

  it('applies again when the service says its host changed', async () => {
    await agent.start();
    await bus.cast(agentTopic('h1'), NETWORK_AGENT_PATTERNS.hostChanged, {});
    expect(await eventually(async () => driver.applied.length, (count) => count === 2)).toBe(2);
  });

  it('folds the nudges that arrive while it applies into one more apply', async () => {
    await agent.start();
    driver.hold();
    const running = agent.requestSync();
    await eventually(async () => driver.applied.length, (count) => count === 2);
    const nudges = Array.from({ length: 5 }, () => agent.requestSync());
    driver.letGo();
    await Promise.all([running, ...nudges]);
    // The start-up apply, the held one, and one for all five nudges.
    expect(driver.applied).toHaveLength(3);
  });
});
