import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, type ConfigSources, envName, loadConfig, readConfigFile } from './load-config';
import { Secret } from './secret';
import { commonSettings, serviceUserSettings, setting } from './settings';

/** A service section shaped like the real ones, with one setting of every kind. */
const serviceSettings = z.object({
  port: setting.integer().min(0).max(65535).default(8774),
  tokenExpirationSeconds: setting.integer().min(60).default(3600),
  debug: setting.boolean().default(false),
  databaseUrl: setting.databaseUrl().default('embedded'),
  ...serviceUserSettings,
});

const nestedSettings = z.object({
  ldap: z.object({ userTreeDn: setting.string().default('ou=users'), pageSize: setting.integer().min(0).default(100) }).default({ userTreeDn: 'ou=users', pageSize: 100 }),
  tags: z.array(z.string()).default([]),
});

const PASSWORD = 's3cret-compute-password';
const load = (env: ConfigSources['env'], file?: Record<string, unknown>) => loadConfig(serviceSettings, 'compute', { env, file });

/** The ConfigError a load throws (fails the test when none is thrown). */
function configError(work: () => unknown): ConfigError {
  try {
    work();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('envName', () => {
  it.each([
    ['identity', ['tokenExpirationSeconds'], 'OVERCAST_IDENTITY_TOKEN_EXPIRATION_SECONDS'],
    ['identity', ['databaseUrl'], 'OVERCAST_IDENTITY_DATABASE_URL'],
    ['identity', ['maxActiveKeys'], 'OVERCAST_IDENTITY_MAX_ACTIVE_KEYS'],
    ['block-storage', ['servicePassword'], 'OVERCAST_BLOCK_STORAGE_SERVICE_PASSWORD'],
    ['compute', ['port'], 'OVERCAST_COMPUTE_PORT'],
    ['', ['dataDir'], 'OVERCAST_DATA_DIR'],
    ['', ['identityUrl'], 'OVERCAST_IDENTITY_URL'],
    ['identity', ['ldap', 'userTreeDn'], 'OVERCAST_IDENTITY_LDAP_USER_TREE_DN'],
    ['network', ['ipv6Enabled'], 'OVERCAST_NETWORK_IPV6_ENABLED'],
  ])('%s %j is %s', (section, path, expected) => {
    expect(envName(section, path)).toBe(expected);
  });

  it('names every common setting as docs/configuration.md does, and the docs name every one', async () => {
    const docs = await readFile(join(__dirname, '..', '..', '..', '..', '..', 'docs', 'configuration.md'), 'utf8');
    const common = docs.slice(docs.indexOf('## Common'), docs.indexOf('## identity'));
    const documented = [...common.matchAll(/^\| (\w+) \| `(OVERCAST_\w+)` \|/gm)].map(([, name, env]) => [name, env]);
    expect(documented.map(([name]) => name).sort()).toEqual(Object.keys(commonSettings.shape).sort());
    for (const [name, env] of documented) {
      expect(envName('', [name as string])).toBe(env);
    }
  });
});

describe('loadConfig', () => {
  it('fills in the defaults', () => {
    const common = loadConfig(commonSettings, '', { env: {} });
    expect(common).toMatchObject({
      dataDir: './data',
      transportUrl: 'memory://',
      region: 'RegionOne',
      logLevel: 'info',
      bindHost: '127.0.0.1',
      publicHost: '127.0.0.1',
      identityUrl: 'http://127.0.0.1:5000',
    });
    expect(common.policyFile).toBeUndefined();
    expect(load({ OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD })).toMatchObject({ port: 8774, tokenExpirationSeconds: 3600, debug: false, databaseUrl: 'embedded' });
  });

  it('reads OVERCAST_<SECTION>_<PATH> from the environment, typed', () => {
    const compute = load({
      OVERCAST_COMPUTE_PORT: '18774',
      OVERCAST_COMPUTE_TOKEN_EXPIRATION_SECONDS: ' 600 ',
      OVERCAST_COMPUTE_DEBUG: 'yes',
      OVERCAST_COMPUTE_DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/compute',
      OVERCAST_COMPUTE_SERVICE_USER_NAME: 'nova',
      OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD,
    });
    expect(compute).toMatchObject({ port: 18774, tokenExpirationSeconds: 600, debug: true, databaseUrl: 'postgres://postgres@127.0.0.1:5432/compute', serviceUserName: 'nova' });
    expect(compute.servicePassword).toBeInstanceOf(Secret);
    expect(compute.servicePassword.reveal()).toBe(PASSWORD);
  });

  it.each([
    ['true', true],
    ['1', true],
    ['ON', true],
    ['false', false],
    ['0', false],
    ['no', false],
  ])('reads the boolean %s as %s', (text, value) => {
    expect(load({ OVERCAST_COMPUTE_DEBUG: text, OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD }).debug).toBe(value);
  });

  it('ignores variables of other sections and unrelated ones', () => {
    const compute = load({ OVERCAST_IMAGE_PORT: '1', OVERCAST_PORT: '2', PORT: '3', OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD });
    expect(compute.port).toBe(8774);
  });

  it('reads nested settings and lists', () => {
    const settings = loadConfig(nestedSettings, 'identity', {
      env: { OVERCAST_IDENTITY_LDAP_PAGE_SIZE: '50' },
      file: { identity: { ldap: { userTreeDn: 'ou=people' }, tags: ['a', 'b'] } },
    });
    expect(settings).toEqual({ ldap: { userTreeDn: 'ou=people', pageSize: 50 }, tags: ['a', 'b'] });
  });

  it('returns a deeply frozen object', () => {
    const settings = loadConfig(nestedSettings, 'identity', { env: {}, file: { identity: { tags: ['a'] } } });
    expect(Object.isFrozen(settings)).toBe(true);
    expect(Object.isFrozen(settings.ldap)).toBe(true);
    expect(Object.isFrozen(settings.tags)).toBe(true);
    expect(() => {
      (settings as { ldap: { pageSize: number } }).ldap.pageSize = 1;
    }).toThrow(TypeError);
    expect(() => (settings.tags as string[]).push('b')).toThrow(TypeError);
  });

  describe('with a YAML file', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'overcast-config-spec-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });
    const file = async (name: string, text: string) => {
      const path = join(dir, name);
      await writeFile(path, text);
      return path;
    };

    it('takes the common settings from the top level and each service from its section', async () => {
      const path = await file(
        'overcast.yaml',
        [
          'transportUrl: amqp://overcast:pw@rabbit:5672/cloud',
          'region: RegionTwo',
          'logLevel: debug',
          'compute:',
          '  port: 9000',
          '  tokenExpirationSeconds: "900"',
          '  debug: true',
          `  servicePassword: ${PASSWORD}`,
          'block-storage:',
          '  port: 9776',
          '',
        ].join('\n'),
      );
      const sources = { env: {}, file: readConfigFile(path) };
      expect(loadConfig(commonSettings, '', sources)).toMatchObject({ transportUrl: 'amqp://overcast:pw@rabbit:5672/cloud', region: 'RegionTwo', logLevel: 'debug' });
      const compute = loadConfig(serviceSettings, 'compute', sources);
      expect(compute).toMatchObject({ port: 9000, tokenExpirationSeconds: 900, debug: true });
      expect(compute.servicePassword.reveal()).toBe(PASSWORD);
      expect(loadConfig(serviceSettings, 'block-storage', { env: { OVERCAST_BLOCK_STORAGE_SERVICE_PASSWORD: 'x' }, file: sources.file }).port).toBe(9776);
    });

    it('lets the environment win over the file', async () => {
      const path = await file('env-wins.yaml', `region: FromFile\ncompute:\n  port: 9000\n  servicePassword: from-file\n`);
      const sources = { env: { OVERCAST_REGION: 'FromEnv', OVERCAST_COMPUTE_PORT: '9100', OVERCAST_COMPUTE_SERVICE_PASSWORD: 'from-env' }, file: readConfigFile(path) };
      expect(loadConfig(commonSettings, '', sources).region).toBe('FromEnv');
      const compute = loadConfig(serviceSettings, 'compute', sources);
      expect(compute.port).toBe(9100);
      expect(compute.servicePassword.reveal()).toBe('from-env');
    });

    it('reads an empty file as no settings, and refuses one that is not a mapping', async () => {
      expect(readConfigFile(await file('empty.yaml', ''))).toEqual({});
      expect(configError(() => readConfigFile(join(dir, 'absent.yaml'))).message).toMatch(/cannot read config file .*absent\.yaml/);
      for (const [name, text] of [
        ['list.yaml', '- compute\n- identity\n'],
        ['scalar.yaml', 'just text\n'],
      ] as const) {
        const path = await file(name, text);
        expect(configError(() => readConfigFile(path)).message).toBe(`config file ${path} must hold a mapping of sections`);
      }
    });

    it('refuses a setting no setting is called (a misspelling) instead of ignoring it, at every level', async () => {
      const sources = {
        env: { OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD },
        file: readConfigFile(await file('misspelt.yaml', 'regoin: RegionTwo\ncompute:\n  prot: 9000\n  debug: true\nidentity:\n  ldap:\n    pageSise: 10\n')),
      };
      expect(configError(() => loadConfig(serviceSettings, 'compute', sources)).message).toBe('unknown setting compute.prot in the config file');
      expect(configError(() => loadConfig(nestedSettings, 'identity', sources)).message).toBe('unknown setting identity.ldap.pageSise in the config file');
      // The top level holds the common settings beside every section: only its plain values are the common section's.
      expect(configError(() => loadConfig(commonSettings, '', sources)).message).toBe('unknown setting regoin in the config file');
    });

    it('refuses a section that is not a mapping instead of ignoring it', async () => {
      const sources = { env: { OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD }, file: readConfigFile(await file('bad-section.yaml', 'compute: 8774\n')) };
      expect(configError(() => loadConfig(serviceSettings, 'compute', sources)).message).toMatch(/^invalid section compute in the config file: .*expected object/);
      const nested = { env: {}, file: readConfigFile(await file('bad-group.yaml', 'identity:\n  ldap: [a, b]\n')) };
      expect(configError(() => loadConfig(nestedSettings, 'identity', nested)).message).toMatch(/^invalid section identity\.ldap in the config file: .*expected object/);
    });
  });

  describe('a wrong setting', () => {
    it.each(['eighty', '', ' ', '0x10', '1e3', '12abc', '-'])('%j for a port names the setting, its variable and what is wrong', (value) => {
      const error = configError(() => load({ OVERCAST_COMPUTE_PORT: value, OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD }));
      expect(error.message).toBe(`invalid setting compute.port (env OVERCAST_COMPUTE_PORT): must be a whole number, not ${JSON.stringify(value)}`);
    });

    it('a fraction for a whole number is refused', () => {
      expect(configError(() => load({ OVERCAST_COMPUTE_PORT: '8774.5', OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD })).message).toBe(
        'invalid setting compute.port (env OVERCAST_COMPUTE_PORT): must be a whole number, not 8774.5',
      );
    });

    it('out of range says the bound', () => {
      expect(configError(() => load({ OVERCAST_COMPUTE_PORT: '70000', OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD })).message).toMatch(
        /^invalid setting compute\.port \(env OVERCAST_COMPUTE_PORT\): .*<=65535/,
      );
      expect(configError(() => load({ OVERCAST_COMPUTE_TOKEN_EXPIRATION_SECONDS: '59', OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD })).message).toMatch(
        /^invalid setting compute\.tokenExpirationSeconds \(env OVERCAST_COMPUTE_TOKEN_EXPIRATION_SECONDS\): .*>=60/,
      );
    });

    it('coming from the file is named the same way', () => {
      const error = configError(() => load({}, { compute: { port: 'eighty', servicePassword: PASSWORD } }));
      expect(error.message).toBe('invalid setting compute.port (env OVERCAST_COMPUTE_PORT): must be a whole number, not "eighty"');
    });

    it('missing and required says so', () => {
      expect(configError(() => load({})).message).toBe('invalid setting compute.servicePassword (env OVERCAST_COMPUTE_SERVICE_PASSWORD): required');
    });

    it('lists every wrong setting at once', () => {
      const error = configError(() => load({ OVERCAST_COMPUTE_PORT: 'x', OVERCAST_COMPUTE_DEBUG: 'maybe', OVERCAST_COMPUTE_DATABASE_URL: 'mysql://db/compute' }));
      expect(error.message).toContain('compute.port (env OVERCAST_COMPUTE_PORT)');
      expect(error.message).toContain('compute.debug (env OVERCAST_COMPUTE_DEBUG)');
      expect(error.message).toContain('compute.databaseUrl (env OVERCAST_COMPUTE_DATABASE_URL): must be "embedded" or a postgres:// URL');
      expect(error.message).toContain('compute.servicePassword (env OVERCAST_COMPUTE_SERVICE_PASSWORD): required');
    });

    it('in the common section is named without a section', () => {
      expect(configError(() => loadConfig(commonSettings, '', { env: { OVERCAST_TRANSPORT_URL: 'redis://cache:6379' } })).message).toBe(
        'invalid setting transportUrl (env OVERCAST_TRANSPORT_URL): must be memory:// or an amqp:// URL',
      );
      expect(configError(() => loadConfig(commonSettings, '', { env: { OVERCAST_LOG_LEVEL: 'loud' } })).message).toMatch(/^invalid setting logLevel \(env OVERCAST_LOG_LEVEL\)/);
      expect(configError(() => loadConfig(commonSettings, '', { env: { OVERCAST_IDENTITY_URL: 'identity' } })).message).toMatch(/^invalid setting identityUrl \(env OVERCAST_IDENTITY_URL\)/);
    });

    it('never quotes a secret, even a wrong one', () => {
      const wrongSecret = configError(() => load({}, { compute: { servicePassword: 918273645 } }));
      expect(wrongSecret.message).toBe('invalid setting compute.servicePassword (env OVERCAST_COMPUTE_SERVICE_PASSWORD): must be a non-empty string');
      const besideASecret = configError(() => load({ OVERCAST_COMPUTE_PORT: 'x', OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD }));
      expect(besideASecret.message).not.toContain(PASSWORD);
      expect(configError(() => load({ OVERCAST_COMPUTE_SERVICE_PASSWORD: '' })).message).toBe(
        'invalid setting compute.servicePassword (env OVERCAST_COMPUTE_SERVICE_PASSWORD): must be a non-empty string',
      );
    });
  });

  it('keeps secrets out of a dump of the settings', () => {
    const compute = load({ OVERCAST_COMPUTE_SERVICE_PASSWORD: PASSWORD });
    expect(JSON.stringify(compute)).not.toContain(PASSWORD);
    expect(JSON.parse(JSON.stringify(compute))).toMatchObject({ servicePassword: '***' });
  });
});
