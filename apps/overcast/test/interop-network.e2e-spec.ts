import { describeInterop } from './interop/tempest-run';

// tempest sleeps 10 s before every subnet delete ("ports may still be tearing down"): the network
// run waits far more than it works, so more of it runs at once, in a file (a jest worker) of its own.
describeInterop(['network'], { concurrency: 12, timeoutMs: 900_000 });
