import 'reflect-metadata';
import { serveVolumeAgent } from '@overcast/block-storage/agent';
import { serveComputeAgent } from '@overcast/compute/agent';
import { serveNetworkAgent } from '@overcast/network/agent';
import { bootstrapIdentity, identityKeyDir, identitySettings, KeyRing, openIdentityDatabase } from '@overcast/identity/api';
import { CATALOG, configSources as sourcesFrom, openServiceDatabase, runAllInOne, SERVICE_NAMES, type ServiceName, serveService, serviceSettings } from '@overcast/overcast/runtime';
import { commonSettings, ConfigError, type ConfigSources, exitWithError, loadConfig } from '@overcast/shared/core';
import { Command, InvalidArgumentError } from 'commander';

function configSources(program: Command): ConfigSources {
  return sourcesFrom(program.opts<{ config?: string }>().config ?? process.env['OVERCAST_CONFIG_FILE']);
}

function serviceName(value: string): ServiceName {
  if (!(SERVICE_NAMES as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`choose one of ${SERVICE_NAMES.join(', ')}`);
  }
  return value as ServiceName;
}

/** The node agents `overcast agent <role>` runs. */
const NODE_AGENTS = { compute: serveComputeAgent, network: serveNetworkAgent, volume: serveVolumeAgent } as const;
type AgentRole = keyof typeof NODE_AGENTS;
const AGENT_ROLES = Object.keys(NODE_AGENTS);

const program = new Command('overcast')
  .description('An IaaS cloud that speaks the OpenStack APIs')
  .option('-c, --config <file>', 'YAML config file with a section per service (default: $OVERCAST_CONFIG_FILE)');

program
  .command('aio')
  .description('run every service in one process on embedded defaults (PGlite, in-process bus)')
  .action(() => runAllInOne(configSources(program)));

program
  .command('serve')
  .description('run one service against its configured database and bus')
  .argument('<service>', SERVICE_NAMES.join(' | '), serviceName)
  .action((name: ServiceName) => serveService(name, configSources(program)));

program
  .command('agent')
  .description("run this host's node agent for a service")
  .argument('<role>', AGENT_ROLES.join(' | '), (value: string) => {
    if (!Object.hasOwn(NODE_AGENTS, value)) {
      throw new InvalidArgumentError(`choose one of ${AGENT_ROLES.join(', ')}`);
    }
    return value as AgentRole;
  })
  .action((role: AgentRole) => NODE_AGENTS[role](configSources(program)));

program
  .command('db')
  .description('database administration')
  .command('sync')
  .description("apply a service's pending database migrations")
  .argument('<service>', SERVICE_NAMES.join(' | '), serviceName)
  .action(async (name: ServiceName) => {
    const sources = configSources(program);
    const database = await openServiceDatabase(name, loadConfig(commonSettings, '', sources), sources);
    try {
      const applied = await database.migrate();
      console.log(applied.length > 0 ? `${name}: applied ${applied.join(', ')}` : `${name}: schema is up to date`);
    } finally {
      await database.close();
    }
  });

program
  .command('bootstrap')
  .description('create the Default domain, roles, admin and service accounts, region and catalog (safe to re-run)')
  .action(async () => {
    const sources = configSources(program);
    const common = loadConfig(commonSettings, '', sources);
    const adminPassword = sources.env['OVERCAST_ADMIN_PASSWORD'];
    if (!adminPassword) {
      throw new ConfigError('OVERCAST_ADMIN_PASSWORD must name the admin password');
    }
    const settings = serviceSettings(sources);
    const identity = settings.identity();
    const services = SERVICE_NAMES.filter((name) => name !== 'identity').map((name) => ({ name, settings: settings[name]() }));
    await KeyRing.initialize(identityKeyDir(common, identity));
    const database = await openIdentityDatabase(common, identity);
    try {
      if (await database.hasPendingMigrations()) {
        throw new ConfigError('the identity database is not migrated: run "overcast db sync identity" first');
      }
      const ports: Record<string, number> = { identity: identity.port, ...Object.fromEntries(services.map((service) => [service.name, service.settings.port])) };
      await bootstrapIdentity(database.dataSource, {
        adminPassword,
        region: common.region,
        serviceUsers: services.map((service) => ({ name: service.settings.serviceUserName ?? service.name, password: service.settings.servicePassword.reveal() })),
        catalog: CATALOG.map((entry) => ({ ...entry, url: `http://${common.publicHost}:${ports[entry.service]}${entry.path}` })),
      });
      console.log('bootstrap complete: Default domain, roles admin ⊃ member ⊃ reader, admin and service accounts, catalog');
    } finally {
      await database.close();
    }
  });

program
  .command('identity')
  .description('identity administration')
  .command('rotate-keys')
  .description('promote the staged token-signing key and stage a new one (tokens stay valid across a rotation)')
  .action(async () => {
    const sources = configSources(program);
    const identity = loadConfig(identitySettings, 'identity', sources);
    const { primary, removed } = await KeyRing.rotate(identityKeyDir(loadConfig(commonSettings, '', sources), identity), identity.maxActiveKeys);
    console.log(`key ${primary} now signs; a new key is staged${removed.length > 0 ? `; removed keys ${removed.join(', ')}` : ''}`);
  });

program.parseAsync().catch((error: unknown) => exitWithError('overcast', error));
