import { describeInterop } from './interop/tempest-run';

describeInterop(['identity', 'image'], { concurrency: 2, timeoutMs: 300_000 });
