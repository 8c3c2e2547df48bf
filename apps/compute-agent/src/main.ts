import 'reflect-metadata';
import { runAgent } from '@overcast/shared/bus';
import { exitWithError } from '@overcast/shared/core';

// A node agent holds no database credentials: it takes its work from the bus, on `compute.<host>`.
runAgent('compute').catch((error: unknown) => exitWithError('compute-agent', error));
