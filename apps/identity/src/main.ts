import 'reflect-metadata';
import { serveService } from '@overcast/overcast/runtime';
import { exitWithError } from '@overcast/shared/core';

serveService('identity').catch((error: unknown) => exitWithError('identity', error));
