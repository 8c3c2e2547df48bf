import { join } from 'node:path';
import { type HostCommands } from '../host/host-commands';

/** An OVS interface with the tag of its port, as the OVS database holds them. */
export interface OvsInterface {
  name: string;
  type: string;
  /** Its OpenFlow port number; -1 (or absent, while being set up) when OVS could not open it. */
  ofport?: number;
  /** Why OVS could not open it. */
  error?: string;
  externalIds: Record<string, string>;
  tag?: number;
}

/** An OVSDB value in ovs-vsctl's JSON: an atom, `["set", [...]]`, `["map", [[k, v]...]]` or `["uuid", id]`. */
type OvsdbValue = string | number | boolean | [string, unknown];

interface OvsdbTable {
  headings: string[];
  data: OvsdbValue[][];
}

/** An optional column is an empty set when unset, the atom itself when set. */
function optional<T>(value: OvsdbValue): T | undefined {
  if (Array.isArray(value) && value[0] === 'set') {
    return (value[1] as T[])[0];
  }
  return value as T;
}

function stringMap(value: OvsdbValue): Record<string, string> {
  return Object.fromEntries((value as ['map', [string, string][]])[1]);
}

function rows(table: OvsdbTable): Record<string, OvsdbValue>[] {
  return table.data.map((row) => Object.fromEntries(table.headings.map((heading, i) => [heading, row[i]])));
}

/**
 * The driver's way to Open vSwitch: ovs-vsctl on the database socket, ovs-ofctl on each bridge's
 * OpenFlow socket (`<run dir>/<bridge>.mgmt`), so several OVS instances on one machine (one per
 * simulated host) never mix.
 */
export class OvsSwitch {
  constructor(
    private readonly host: HostCommands,
    private readonly ovsdbSocket: string,
    private readonly runDirectory: string,
  ) {}

  /** Runs ovs-vsctl commands in one transaction; ovs-vsctl returns once ovs-vswitchd has applied them. */
  vsctl(...commands: readonly (readonly string[])[]): Promise<string> {
    return this.runVsctl([], commands);
  }

  async interfaces(): Promise<OvsInterface[]> {
    const output = await this.runVsctl(['--format=json'], [
      ['--columns=name,tag', 'list', 'Port'],
      ['--columns=name,type,ofport,error,external_ids', 'list', 'Interface'],
    ]);
    const [ports, interfaces] = output
      .trim()
      .split('\n')
      .map((line) => rows(JSON.parse(line) as OvsdbTable));
    const tags = new Map(ports.map((port) => [port.name as string, optional<number>(port.tag)]));
    return interfaces.map((row) => ({
      name: row.name as string,
      type: row.type as string,
      ofport: optional<number>(row.ofport),
      error: optional<string>(row.error),
      externalIds: stringMap(row.external_ids),
      tag: tags.get(row.name as string),
    }));
  }

  /** Makes the bridge's flow table exactly `flows`, atomically, touching only the flows that differ. */
  async replaceFlows(bridge: string, flows: readonly string[]): Promise<void> {
    await this.host.run('ovs-ofctl', ['-O', 'OpenFlow15', '--bundle', 'replace-flows', this.openflowSocket(bridge), '-'], {
      input: [...new Set(flows)].join('\n') + '\n',
    });
  }

  /** Forgets the connections of one conntrack zone (a filtered port's, after its rules changed). */
  async flushConntrackZone(bridge: string, zone: number): Promise<void> {
    await this.host.run('ovs-ofctl', ['-O', 'OpenFlow15', 'ct-flush-zone', this.openflowSocket(bridge), String(zone)]);
  }

  /** The ports of a bridge NORMAL does not flood to. OpenFlow 1.1 dropped this port flag; 1.0 has it. */
  async noFloodPorts(bridge: string): Promise<Set<string>> {
    const description = await this.host.run('ovs-ofctl', ['-O', 'OpenFlow10', 'dump-ports-desc', this.openflowSocket(bridge)]);
    const noFlood = new Set<string>();
    let port: string | undefined;
    for (const line of description.split('\n')) {
      port = /^\s*\S+\((.+)\): addr:/.exec(line)?.[1] ?? port;
      if (port !== undefined && /^\s*config:.*\bNO_FLOOD\b/.test(line)) {
        noFlood.add(port);
      }
    }
    return noFlood;
  }

  async setFlooding(bridge: string, port: string, flood: boolean): Promise<void> {
    await this.host.run('ovs-ofctl', ['-O', 'OpenFlow10', 'mod-port', this.openflowSocket(bridge), port, flood ? 'flood' : 'no-flood']);
  }

  private runVsctl(options: readonly string[], commands: readonly (readonly string[])[]): Promise<string> {
    const args = [`--db=unix:${this.ovsdbSocket}`, '--timeout=30', ...options, ...commands.flatMap((command) => ['--', ...command])];
    return this.host.run('ovs-vsctl', args);
  }

  private openflowSocket(bridge: string): string {
    return `unix:${join(this.runDirectory, `${bridge}.mgmt`)}`;
  }
}
