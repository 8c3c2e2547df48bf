import 'reflect-metadata';
import { serveVolumeAgent } from '@overcast/block-storage/agent';
import { exitWithError, readConfigFile } from '@overcast/shared/core';

// A node agent holds no database credentials: it takes its work from the bus, on `volume.<host>`.
const configFile = process.env['OVERCAST_CONFIG_FILE'];
serveVolumeAgent({ env: process.env, file: configFile ? readConfigFile(configFile) : undefined }).catch((error: unknown) => exitWithError('volume-agent', error));
