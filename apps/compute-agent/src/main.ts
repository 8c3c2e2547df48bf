import 'reflect-metadata';
import { serveComputeAgent } from '@overcast/compute/agent';
import { exitWithError, readConfigFile } from '@overcast/shared/core';

// A node agent holds no database credentials: it takes its work from the bus, on `compute.<host>`.
const configFile = process.env['OVERCAST_CONFIG_FILE'];
serveComputeAgent({ env: process.env, file: configFile ? readConfigFile(configFile) : undefined }).catch((error: unknown) => exitWithError('compute-agent', error));
