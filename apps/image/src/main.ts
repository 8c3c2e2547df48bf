import 'reflect-metadata';
import { serveService } from '@overcast/overcast/runtime';
import { exitWithError } from '@overcast/shared/core';

serveService('image').catch((error: unknown) => exitWithError('image', error));
