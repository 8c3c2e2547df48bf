import 'reflect-metadata';
import { serveService } from '@overcast/overcast/runtime';
import { exitWithError } from '@overcast/shared/core';

serveService('compute').catch((error: unknown) => exitWithError('compute', error));
