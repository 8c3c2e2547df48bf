import { describeInterop } from './interop/tempest-run';

// Debian's tempest sleeps 10 s before every subnet delete (its SubnetsClient.delete_subnet; upstream's does not),
// even of a subnet already gone: NetworksTestDHCPv6 deletes each of its 30 subnets twice (in the test, then again in
// its class clean-up), ~620 s of waiting that a worker per class would spend on one worker. Its tests (and every
// other class's) are dealt out one by one to workers that mostly wait: the run takes a little longer than its
// longest test with that test's clean-up (~160 s).
describeInterop(['network'], { concurrency: 20, spreadClasses: true, timeoutMs: 900_000 });
