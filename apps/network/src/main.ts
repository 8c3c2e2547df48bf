import 'reflect-metadata';
import { serveService } from '@overcast/overcast/runtime';
import { exitWithError } from '@overcast/shared/core';

serveService('network').catch((error: unknown) => exitWithError('network', error));
