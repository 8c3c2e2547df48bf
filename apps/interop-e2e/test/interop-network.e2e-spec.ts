import { describeInterop } from './interop/tempest-run';

// Debian's tempest sleeps 10 s before every subnet delete (its SubnetsClient.delete_subnet; upstream's does not),
// even of a subnet already gone: NetworksTestDHCPv6 deletes each of its 30 subnets twice (in the test, then again in
// its class clean-up), ~620 s of waiting that a worker per class would spend on one worker. Its tests (and every
// other class's) are dealt out one by one to workers that mostly wait, and its two longest (~80 s each, and as long
// again in the clean-up of their class) get a worker of their own: the run takes a little longer than one of them.
describeInterop(['network'], {
  concurrency: 20,
  spreadClasses: { ownWorker: ['test_dhcpv6_64_subnets', 'test_dhcpv6_two_subnets'] },
  timeoutMs: 900_000,
});
