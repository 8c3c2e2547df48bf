import 'reflect-metadata';
import { serveService } from '@overcast/overcast/runtime';
import { exitWithError } from '@overcast/shared/core';

serveService('block-storage').catch((error: unknown) => exitWithError('block-storage', error));
