import 'reflect-metadata';
import { runAgent } from '@overcast/shared/bus';
import { exitWithError } from '@overcast/shared/core';

// A node agent holds no database credentials: it takes its work from the bus, on `network.<host>`.
runAgent('network').catch((error: unknown) => exitWithError('network-agent', error));
