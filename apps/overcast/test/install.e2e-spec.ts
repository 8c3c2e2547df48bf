import { volumeAgentSettings } from '@overcast/block-storage/agent';
import { computeAgentSettings } from '@overcast/compute/agent';
import { networkAgentSettings } from '@overcast/network/agent';
import { SERVICE_NAMES, serviceSettings } from '@overcast/overcast/runtime';
import { commonSettings, type ConfigSources, envName, loadConfig, readConfigFile, Secret } from '@overcast/shared/core';
import { cleanEnvironment, createTestDatabase, overcast, type TestDatabase } from '@overcast/shared/testing';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type z } from 'zod';

/**
 * deploy/install.sh for each role, run with --root into a temporary directory (this machine has
 * no systemd as PID 1, and its PostgreSQL, RabbitMQ and packages are not the test's to change):
 * the files it writes and their modes and owners, a second run that changes nothing, settings
 * the operator adds that survive a run, the units checked by systemd-analyze, and every config
 * file read by the real config loader.
 */
const REPO = join(__dirname, '..', '..', '..');
const INSTALL_SH = join(REPO, 'deploy', 'install.sh');
const CONTROLLER_IP = '192.0.2.10';
const COMPUTE_IP = '192.0.2.21';
/** What the controller would hand a node (its secrets/transport-node). */
const NODE_PASSWORD = 'f00dfeed0123456789abcdef0123456789abcdef01234567';

interface Run {
  code: number | null;
  output: string;
}

function runInstall(args: string[], input?: string): Run {
  const result = spawnSync('bash', [INSTALL_SH, ...args], { env: cleanEnvironment(), input, encoding: 'utf8', timeout: 120_000, cwd: tmpdir() });
  if (result.error) {
    throw result.error;
  }
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

function run(command: string, args: string[], env: Record<string, string> = {}): Run {
  const result = spawnSync(command, args, { env: { ...cleanEnvironment(), ...env }, encoding: 'utf8', timeout: 60_000, cwd: tmpdir() });
  if (result.error) {
    throw result.error;
  }
  return { code: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Why this spec cannot run here, if it cannot. */
function whyNotHere(): string | undefined {
  if (process.getuid?.() !== 0) {
    return 'install.sh runs as root (it chowns the files it writes, under --root too)';
  }
  for (const tool of ['rsync', 'useradd', 'systemd-analyze', 'systemd-escape']) {
    if (run('sh', ['-c', `command -v ${tool}`]).code !== 0) {
      return `${tool} is not installed`;
    }
  }
  return undefined;
}

type Owner = 'root' | 'overcast';
/** A path under the root, its mode and owner:group. */
type Expected = [path: string, mode: number, owner: Owner, group: Owner];

interface Role {
  name: 'controller' | 'compute' | 'storage';
  /** The options of every run; the first also gets `firstRun`, with `input` on standard input. */
  args: string[];
  firstRun: string[];
  input?: string;
  units: string[];
  /** Config files (in /etc/overcast, without .yaml) and the settings each must hold. */
  configs: Record<string, (loaded: LoadedConfig, secrets: Record<string, string>) => void>;
  files: Expected[];
  /** A setting the operator adds to one of its files (YAML text appended) and where it shows once loaded. */
  operatorSetting: { config: string; yaml: string; path: string[]; value: unknown };
}

interface LoadedConfig {
  common: z.infer<typeof commonSettings>;
  section: Record<string, unknown>;
}

const CONFIG = (name: string): Expected => [`/etc/overcast/${name}.yaml`, 0o640, 'root', 'overcast'];
const UNIT = (name: string): Expected => [`/etc/systemd/system/${name}`, 0o644, 'root', 'root'];
const SECRET = (name: string): Expected => [`/etc/overcast/secrets/${name}`, 0o600, 'root', 'root'];
const COMMON_FILES: Expected[] = [
  ['/etc/overcast', 0o750, 'root', 'overcast'],
  ['/etc/overcast/secrets', 0o700, 'root', 'root'],
  ['/var/lib/overcast', 0o755, 'root', 'root'],
  ['/opt/overcast', 0o755, 'root', 'root'],
  ['/opt/overcast/apps/overcast/bin/overcast.js', 0o755, 'root', 'root'],
  ['/opt/overcast/package-lock.json', 0o644, 'root', 'root'],
];
const reveal = (value: unknown) => (value instanceof Secret ? value.reveal() : value);
const nodeTransport = (loaded: LoadedConfig) => {
  expect(loaded.common.transportUrl).toBe(`amqp://overcast-node:${NODE_PASSWORD}@${CONTROLLER_IP}:5672/overcast`);
  expect(loaded.common.dataDir).toBe('/var/lib/overcast');
};

const ROLES: Role[] = [
  {
    name: 'controller',
    args: ['controller', '--public-ip', CONTROLLER_IP],
    firstRun: [],
    units: ['overcast-identity.service', 'overcast-compute.service', 'overcast-image.service', 'overcast-network.service', 'overcast-block-storage.service'],
    configs: Object.fromEntries(
      SERVICE_NAMES.map((service) => [
        service,
        (loaded: LoadedConfig, secrets: Record<string, string>) => {
          const database = service.replace('-', '_');
          expect(loaded.common).toMatchObject({
            dataDir: '/var/lib/overcast',
            transportUrl: `amqp://overcast:${secrets['transport-controller']}@127.0.0.1:5672/overcast`,
            bindHost: '0.0.0.0',
            publicHost: CONTROLLER_IP,
            identityUrl: `http://${CONTROLLER_IP}:5000`,
          });
          expect(loaded.section['databaseUrl']).toBe(`postgres://${database}:${secrets[`database-${database}`]}@127.0.0.1:5432/${database}`);
          if (service !== 'identity') {
            expect(reveal(loaded.section['servicePassword'])).toBe(secrets[`service-${service}`]);
          }
          // What the APIs hand to the nodes (image data) must be the controller's address, not loopback.
          if (service === 'compute' || service === 'block-storage') {
            expect(loaded.section['imageUrl']).toBe(`http://${CONTROLLER_IP}:9292`);
          }
        },
      ]),
    ),
    files: [
      ...COMMON_FILES,
      ...SERVICE_NAMES.map(CONFIG),
      ['/etc/overcast/clouds.yaml', 0o600, 'root', 'root'],
      ['/etc/overcast/admin-openrc', 0o600, 'root', 'root'],
      ['/var/lib/overcast/identity', 0o700, 'overcast', 'overcast'],
      ['/var/lib/overcast/image', 0o700, 'overcast', 'overcast'],
      ...['admin-password', 'transport-controller', 'transport-node', 'database-identity', 'database-compute', 'database-image', 'database-network', 'database-block_storage'].map(SECRET),
      ...['service-compute', 'service-image', 'service-network', 'service-block-storage'].map(SECRET),
      ...['overcast-identity.service', 'overcast-compute.service', 'overcast-image.service', 'overcast-network.service', 'overcast-block-storage.service'].map(UNIT),
    ],
    operatorSetting: { config: 'compute', yaml: '  # overcommit less than placement does\n  cpuAllocationRatio: 4\n', path: ['cpuAllocationRatio'], value: 4 },
  },
  {
    name: 'compute',
    args: ['compute', '--controller', CONTROLLER_IP, '--my-ip', COMPUTE_IP, '--tunnel-interface', 'eth1', '--physical-interface', 'physnet1:eth2'],
    firstRun: ['--transport-password-file', '-'],
    input: `${NODE_PASSWORD}\n`,
    units: ['overcast-compute-agent.service', 'overcast-network-agent.service'],
    configs: {
      'compute-agent': (loaded) => {
        nodeTransport(loaded);
        expect(loaded.section).toMatchObject({ driver: 'libvirt', hostIp: COMPUTE_IP, libvirt: expect.objectContaining({ hostIp: COMPUTE_IP }) });
      },
      'network-agent': (loaded) => {
        nodeTransport(loaded);
        expect(loaded.section).toMatchObject({ driver: 'linuxbridge', tunnelIp: COMPUTE_IP, tunnelInterface: 'eth1', physicalInterfaces: { physnet1: 'eth2' } });
      },
    },
    files: [
      ...COMMON_FILES,
      CONFIG('compute-agent'),
      CONFIG('network-agent'),
      SECRET('transport-node'),
      ['/var/lib/libvirt/images/overcast', 0o755, 'root', 'root'],
      ['/var/lib/overcast/network-agent', 0o755, 'root', 'root'],
      UNIT('overcast-compute-agent.service'),
      UNIT('overcast-network-agent.service'),
    ],
    operatorSetting: { config: 'network-agent', yaml: '  dhcp: false\n', path: ['dhcp'], value: false },
  },
  {
    name: 'storage',
    args: ['storage', '--controller', CONTROLLER_IP, '--backend', 'file:/srv/volumes', '--backend', 'nfs:filer.example.com:/export/volumes', '--backend', 'rbd:volumes:cinder'],
    firstRun: ['--transport-password-file', '-'],
    input: `${NODE_PASSWORD}\n`,
    units: ['overcast-volume-agent.service', 'var-lib-overcast-mnt-nfs.mount'],
    configs: {
      'volume-agent': (loaded) => {
        nodeTransport(loaded);
        expect(loaded.section['backends']).toEqual([
          expect.objectContaining({ name: 'file', driver: 'file', directory: '/srv/volumes', format: 'qcow2' }),
          expect.objectContaining({ name: 'nfs', driver: 'file', directory: '/var/lib/overcast/mnt/nfs', storageProtocol: 'nfs', nfsShare: 'filer.example.com:/export/volumes' }),
          expect.objectContaining({ name: 'rbd', driver: 'rbd', pool: 'volumes', user: 'cinder' }),
        ]);
      },
    },
    files: [
      ...COMMON_FILES,
      CONFIG('volume-agent'),
      SECRET('transport-node'),
      ['/srv/volumes', 0o751, 'overcast', 'overcast'],
      ['/var/lib/overcast/mnt/nfs', 0o755, 'root', 'root'],
      UNIT('overcast-volume-agent.service'),
      ['/etc/systemd/system/overcast-volume-agent.service.d', 0o755, 'root', 'root'],
      UNIT('overcast-volume-agent.service.d/backends.conf'),
      UNIT('var-lib-overcast-mnt-nfs.mount'),
    ],
    operatorSetting: { config: 'volume-agent', yaml: '  reportIntervalSeconds: 10\n', path: ['reportIntervalSeconds'], value: 10 },
  },
];

/** The schema of each config file's section. */
function loadSection(config: string, sources: ConfigSources): Record<string, unknown> {
  switch (config) {
    case 'compute-agent':
      return loadConfig(computeAgentSettings, config, sources);
    case 'network-agent':
      return loadConfig(networkAgentSettings, config, sources);
    case 'volume-agent':
      return loadConfig(volumeAgentSettings, config, sources);
    default:
      return serviceSettings(sources)[config as (typeof SERVICE_NAMES)[number]]();
  }
}

/**
 * Every setting written in the file is there once loaded: the loader drops keys it does not
 * know without a word, so a misspelt setting would otherwise pass.
 */
function expectNothingDropped(written: unknown, loaded: unknown, path: string): void {
  if (Array.isArray(written)) {
    expect(Array.isArray(loaded)).toBe(true);
    written.forEach((item, index) => expectNothingDropped(item, (loaded as unknown[])[index], `${path}[${index}]`));
  } else if (typeof written === 'object' && written !== null) {
    for (const [key, value] of Object.entries(written)) {
      if (typeof loaded !== 'object' || loaded === null || !(key in loaded)) {
        throw new Error(`the setting ${path}${key} in the file is not one the loader knows`);
      }
      expectNothingDropped(value, (loaded as Record<string, unknown>)[key], `${path}${key}.`);
    }
  }
}

interface Entry {
  mode: number;
  uid: number;
  gid: number;
  mtimeMs: number;
  ctimeMs: number;
  content?: string;
}

/** Every path under `root` with its type and mode, owner, times and content (a file's hash, a link's target). */
function snapshot(root: string): Map<string, Entry> {
  const entries = new Map<string, Entry>();
  const walk = (relative: string) => {
    const path = join(root, relative);
    const stat = lstatSync(path);
    const entry: Entry = { mode: stat.mode, uid: stat.uid, gid: stat.gid, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs };
    if (stat.isFile()) {
      entry.content = createHash('sha256').update(readFileSync(path)).digest('hex');
    } else if (stat.isSymbolicLink()) {
      entry.content = readlinkSync(path);
    }
    entries.set(relative, entry);
    if (stat.isDirectory()) {
      for (const name of readdirSync(path)) {
        walk(join(relative, name));
      }
    }
  };
  walk('/');
  return entries;
}

function idsOf(root: string, file: 'passwd' | 'group'): Record<string, number> {
  const lines = readFileSync(join(root, 'etc', file), 'utf8').split('\n').filter(Boolean);
  return Object.fromEntries(lines.map((line) => line.split(':')).map((fields) => [fields[0], Number(fields[2])]));
}

const unavailable = whyNotHere();

if (unavailable !== undefined) {
  describe('deploy/install.sh', () => {
    it.skip(`cannot run here: ${unavailable}`, () => undefined);
  });
  console.log(`Skipping the install.sh test: ${unavailable}`);
} else {
  describe.each(ROLES)('deploy/install.sh $name --root DIR', (role) => {
    let root: string;
    let firstRun: Run;
    let secrets: Record<string, string>;
    const path = (relative: string) => join(root, relative);

    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), `overcast-install-${role.name}-`));
      firstRun = runInstall([...role.args, ...role.firstRun, '--root', root], role.input);
      if (firstRun.code !== 0) {
        throw new Error(`install.sh ${role.name} failed (${String(firstRun.code)}):\n${firstRun.output}`);
      }
      const directory = path('/etc/overcast/secrets');
      secrets = Object.fromEntries(readdirSync(directory).map((name) => [name, readFileSync(join(directory, name), 'utf8').trim()]));
    });

    afterAll(() => {
      if (root !== undefined) {
        rmSync(root, { recursive: true, force: true });
      }
    });

    it('writes its files with their modes and owners, and says what it skipped', () => {
      const users = idsOf(root, 'passwd');
      const groups = idsOf(root, 'group');
      expect(users['overcast']).toBeGreaterThan(0);
      const ids = { uid: { root: 0, overcast: users['overcast'] }, gid: { root: 0, overcast: groups['overcast'] } };
      for (const [file, mode, owner, group] of role.files) {
        const stat = lstatSync(path(file));
        expect({ file, mode: (stat.mode & 0o7777).toString(8), uid: stat.uid, gid: stat.gid }).toEqual({ file, mode: mode.toString(8), uid: ids.uid[owner], gid: ids.gid[group] });
      }
      // Nothing else in the config and unit directories (no temporary file left behind).
      const listed = (directory: string) => role.files.filter(([file]) => file.startsWith(`${directory}/`) && !file.slice(directory.length + 1).includes('/')).map(([file]) => file.slice(directory.length + 1));
      for (const directory of ['/etc/overcast', '/etc/overcast/secrets', '/etc/systemd/system']) {
        expect(readdirSync(path(directory)).sort()).toEqual(listed(directory).sort());
      }
      // The code is root's, nobody else may change it, and it is the checkout without its local state.
      const code = snapshot(path('/opt/overcast'));
      for (const [file, entry] of code) {
        expect({ file, uid: entry.uid, gid: entry.gid, groupOrOtherWritable: (entry.mode & 0o022) !== 0 }).toEqual({ file, uid: 0, gid: 0, groupOrOtherWritable: false });
      }
      expect(readFileSync(path('/opt/overcast/apps/overcast/bin/overcast.js'), 'utf8')).toBe(readFileSync(join(REPO, 'apps/overcast/bin/overcast.js'), 'utf8'));
      for (const absent of ['/.git', '/node_modules', '/data']) {
        expect(code.has(absent)).toBe(false);
      }
      // Each unit is the one in deploy/systemd.
      for (const unit of role.units.filter((name) => name.startsWith('overcast-'))) {
        expect(readFileSync(path(`/etc/systemd/system/${unit}`), 'utf8')).toBe(readFileSync(join(REPO, 'deploy/systemd', unit), 'utf8'));
      }
      // Generated passwords: 192 random bits each; the node's is the controller's.
      for (const [name, value] of Object.entries(secrets)) {
        expect({ name, value }).toEqual({ name, value: name === 'transport-node' && role.name !== 'controller' ? NODE_PASSWORD : expect.stringMatching(/^[0-9a-f]{48}$/) });
      }
      expect(new Set(Object.values(secrets)).size).toBe(Object.keys(secrets).length);
      // What --root does not do, it says.
      expect(firstRun.output).toMatch(/not run \(--root\): apt-get install -y /);
      expect(firstRun.output).toMatch(/not run \(--root\): systemctl (enable|restart) overcast-/);
      if (role.name === 'controller') {
        expect(firstRun.output).toContain('overcast db sync block-storage');
        expect(firstRun.output).toContain('overcast bootstrap');
        expect(firstRun.output).toContain('/etc/overcast/secrets/admin-password');
      }
    });

    it('never prints a password', () => {
      for (const value of Object.values(secrets)) {
        expect(firstRun.output).not.toContain(value);
      }
    });

    it('changes nothing when run again (the passwords are kept), though a log came and went in the checkout', () => {
      const before = snapshot(root);
      // Only the checkout's directory time changes: that is no new code to copy (or services to restart).
      writeFileSync(join(REPO, 'install-e2e.log'), '');
      rmSync(join(REPO, 'install-e2e.log'));
      const again = runInstall([...role.args, '--root', root]);
      expect(again.code).toBe(0);
      expect(again.output).not.toMatch(/^ {2}\+ /m);
      expect(again.output).toContain('nothing changed');
      expect(snapshot(root)).toEqual(before);
      for (const value of Object.values(secrets)) {
        expect(again.output).not.toContain(value);
      }
    });

    it('writes config files that the real config loader takes whole', () => {
      for (const [config, check] of Object.entries(role.configs)) {
        const file = readConfigFile(path(`/etc/overcast/${config}.yaml`));
        const sources: ConfigSources = { env: {}, file };
        const loaded: LoadedConfig = { common: loadConfig(commonSettings, '', sources), section: loadSection(config, sources) };
        check(loaded, secrets);
        const { [config]: section, ...common } = file;
        expectNothingDropped(common, loaded.common, '');
        expectNothingDropped(section, loaded.section, `${config}.`);
      }
    });

    it('has units that systemd-analyze verifies, drop-ins included, and keeps them sandboxed', () => {
      const verified = run('systemd-analyze', ['verify', ...role.units], { SYSTEMD_UNIT_PATH: `${path('/etc/systemd/system')}:` });
      // verify exits 0 on unknown keys and bad values: it only warns, so any output is a failure.
      expect(verified).toEqual({ code: 0, output: '' });
      // The exposure score (0–10 here, 0–100 for --threshold): the APIs and the volume agent run
      // without privileges; the agents that need root are held to what they were given.
      const threshold: Record<string, number> = { 'overcast-compute-agent.service': 45, 'overcast-network-agent.service': 65 };
      for (const unit of role.units.filter((name) => name.endsWith('.service'))) {
        const security = run('systemd-analyze', ['security', '--offline=true', `--threshold=${threshold[unit] ?? 20}`, path(`/etc/systemd/system/${unit}`)]);
        expect({ unit, code: security.code, score: /Overall exposure level for \S+: ([\d.]+)/.exec(security.output)?.[1] }).toEqual({ unit, code: 0, score: expect.any(String) });
      }
    });

    it('keeps what the operator added, and sets again what it manages', () => {
      const config = path(`/etc/overcast/${role.operatorSetting.config}.yaml`);
      const managed = readFileSync(config, 'utf8');
      // The operator adds a setting (and a comment) to the service's section, changes a managed
      // setting, and opens the file to everybody.
      const section = `${role.operatorSetting.config}:\n`;
      writeFileSync(config, managed.replace(section, `${section}${role.operatorSetting.yaml}`).replace('dataDir: /var/lib/overcast', 'dataDir: /tmp/elsewhere'));
      appendFileSync(config, '# my notes\n');
      chmodSync(config, 0o644);
      const again = runInstall([...role.args, '--root', root]);
      expect(again.code).toBe(0);
      expect(again.output).toContain(`updated /etc/overcast/${role.operatorSetting.config}.yaml`);
      const text = readFileSync(config, 'utf8');
      expect(text).toContain('dataDir: /var/lib/overcast');
      expect(text).toContain('# my notes');
      for (const line of role.operatorSetting.yaml.split('\n').filter(Boolean)) {
        expect(text).toContain(line);
      }
      expect(lstatSync(config).mode & 0o777).toBe(0o640);
      const sources: ConfigSources = { env: {}, file: readConfigFile(config) };
      expect(loadSection(role.operatorSetting.config, sources)).toHaveProperty(role.operatorSetting.path, role.operatorSetting.value);
      expect(loadConfig(commonSettings, '', sources).dataDir).toBe('/var/lib/overcast');
      // And the unit it runs is restarted to read it.
      expect(again.output).toMatch(new RegExp(`not run \\(--root\\): systemctl restart overcast-${role.operatorSetting.config}\\.service`));
    });
  });

  const noPostgres = run('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432']).code === 0 ? undefined : 'PostgreSQL does not answer on 127.0.0.1:5432';
  describe('the controller settings install.sh writes, given to the overcast command', () => {
    if (noPostgres !== undefined) {
      it.skip(`cannot run here: ${noPostgres}`, () => undefined);
      return;
    }
    let root: string;
    const databases: TestDatabase[] = [];
    beforeAll(() => {
      root = mkdtempSync(join(tmpdir(), 'overcast-install-command-'));
      const installed = runInstall(['controller', '--public-ip', CONTROLLER_IP, '--root', root]);
      if (installed.code !== 0) {
        throw new Error(`install.sh controller failed:\n${installed.output}`);
      }
    });
    afterAll(async () => {
      await Promise.all(databases.map((database) => database.drop()));
      rmSync(root, { recursive: true, force: true });
    });

    // The file as the unit gives it (OVERCAST_CONFIG_FILE); only the database is this test's own
    // (the environment wins over the file), as the file's PostgreSQL role exists on a controller only.
    it.each(SERVICE_NAMES)('overcast db sync %s migrates with the file of its unit', async (service) => {
      const database = await createTestDatabase('overcast_install');
      databases.push(database);
      const output = await overcast(['db', 'sync', service], {
        ...cleanEnvironment(),
        OVERCAST_CONFIG_FILE: join(root, 'etc', 'overcast', `${service}.yaml`),
        [envName(service, ['databaseUrl'])]: database.url,
      });
      expect(output).toMatch(new RegExp(`^${service}: applied \\w+`));
    });

    // The units' RestartPreventExitStatus=78: systemd does not restart a unit whose settings are wrong.
    it('exits 78 (EX_CONFIG) when a unit\'s settings are wrong, naming the setting', async () => {
      await expect(
        overcast(['db', 'sync', 'network'], { ...cleanEnvironment(), OVERCAST_CONFIG_FILE: join(root, 'etc', 'overcast', 'network.yaml'), OVERCAST_NETWORK_PORT: 'eighty' }),
      ).rejects.toThrow(/failed \(78\):[\s\S]*port/);
    });
  });

  describe('deploy/install.sh refusals', () => {
    let root: string;
    beforeEach(() => {
      root = mkdtempSync(join(tmpdir(), 'overcast-install-refused-'));
    });
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('refuses a node without the RabbitMQ password before changing anything, saying where to get it', () => {
      const refused = runInstall(['compute', '--controller', CONTROLLER_IP, '--root', root]);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toContain(`ssh root@${CONTROLLER_IP} cat /etc/overcast/secrets/transport-node |`);
      expect(readdirSync(root)).toEqual([]);
    });

    it.each([
      [['controller', '--root'], /--root needs a value/],
      [['controller'], /controller needs --public-ip/],
      [['storage', '--controller', CONTROLLER_IP, '--transport-password-file', '/dev/null'], /storage needs at least one --backend/],
      [['storage', '--controller', CONTROLLER_IP, '--backend', 'nfs:filer', '--transport-password-file', '/dev/null'], /--backend nfs:SERVER:\/PATH/],
      [['compute', '--controller', CONTROLLER_IP, '--public-ip', '1.2.3.4'], /--public-ip is not an option of the compute role/],
      [['compute', '--controller', CONTROLLER_IP, '--network-driver', 'macvtap'], /--network-driver must be linuxbridge or ovs/],
      [['network'], /unknown role 'network'/],
    ])('refuses %j', (args, message) => {
      const refused = runInstall([...args, ...(args.includes('--root') ? [] : ['--root', root])]);
      expect(refused.code).not.toBe(0);
      expect(refused.output).toMatch(message);
      expect(readdirSync(root)).toEqual([]);
    });
  });
}

const shellcheck = run('sh', ['-c', 'command -v shellcheck']).code === 0;
describe('deploy/install.sh source', () => {
  if (!shellcheck) {
    it.skip('shellcheck: not installed here (apt-get install shellcheck; deploy/dev/test-services.sh installs it)', () => undefined);
    return;
  }
  it('passes shellcheck', () => {
    expect(run('shellcheck', ['--severity=style', INSTALL_SH])).toEqual({ code: 0, output: '' });
  });
});
