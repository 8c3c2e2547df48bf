import { describeInterop } from './interop/tempest-run';

const NOT_SERVED = {
  validation: 'checks inside the guest over SSH: the fake hypervisor runs none, so validation is off',
  resize: 'resize is not served (resize = False)',
} as const;

// The fake hypervisor: servers go ACTIVE at once and no guest runs, so the run is quick and needs no KVM.
describeInterop(['compute'], {
  concurrency: 4,
  timeoutMs: 900_000,
  settings: { OVERCAST_COMPUTE_AGENT_DRIVER: 'fake' },
  skipped: {
    'tempest.api.compute.servers.test_create_server.ServersTestJSON.test_host_name_is_same_as_server_name': NOT_SERVED.validation,
    'tempest.api.compute.servers.test_create_server.ServersTestJSON.test_verify_created_server_vcpus': NOT_SERVED.validation,
    'tempest.api.compute.servers.test_server_actions.ServerActionsTestJSON.test_resize_server_confirm': NOT_SERVED.resize,
    'tempest.api.compute.servers.test_server_actions.ServerActionsTestJSON.test_resize_server_revert': NOT_SERVED.resize,
    'tempest.api.compute.servers.test_servers_negative.ServersNegativeTestJSON.test_resize_server_with_non_existent_flavor': NOT_SERVED.resize,
    'tempest.api.compute.servers.test_servers_negative.ServersNegativeTestJSON.test_resize_server_with_null_flavor': NOT_SERVED.resize,
    'tempest.api.compute.servers.test_server_tags.ServerTagsTestJSON': 'microversion 2.26 (server tags) is not served: the API stops at 2.2',
  },
});
