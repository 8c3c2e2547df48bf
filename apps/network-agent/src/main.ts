import 'reflect-metadata';
import { serveNetworkAgent } from '@overcast/network/agent';
import { exitWithError, readConfigFile } from '@overcast/shared/core';

// A node agent holds no database credentials: it takes its work from the bus, on `network.<host>`.
const configFile = process.env['OVERCAST_CONFIG_FILE'];
serveNetworkAgent({ env: process.env, file: configFile ? readConfigFile(configFile) : undefined }).catch((error: unknown) => exitWithError('network-agent', error));
