import { describeInterop } from './interop/tempest-run';

// Volumes are made, snapshotted and copied for real (qcow2 files of the all-in-one's volume agent).
describeInterop(['volume'], { concurrency: 4, timeoutMs: 900_000 });
