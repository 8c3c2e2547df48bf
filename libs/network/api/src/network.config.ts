import { serviceUserSettings, setting } from '@overcast/shared/core';
import { z } from 'zod';

/** Section `network`, env `OVERCAST_NETWORK_*`. */
export const networkSettings = z
  .object({
    port: setting.integer().min(0).max(65535).default(9696),
    databaseUrl: setting.databaseUrl().default('embedded'),
    /** The type a project's own network gets (Neutron's `tenant_network_types`, first entry). */
    tenantNetworkType: z.enum(['vxlan', 'local']).default('vxlan'),
    /** The VNIs handed to tenant VXLAN networks, lowest free first (Neutron's `vni_ranges`). */
    vniMin: setting.integer().min(1).max(16_777_215).default(1),
    vniMax: setting.integer().min(1).max(16_777_215).default(65_535),
    /** The MTU of the physical networks; a VXLAN network gets 50 bytes less (Neutron's `global_physnet_mtu`). */
    physicalMtu: setting.integer().min(1280).max(9216).default(1500),
    /** Neutron's `pagination_max_limit`: the most items one page holds. */
    maxPageSize: setting.integer().min(1).default(1000),
    /** An agent that has not reported for this long is shown dead (`alive: false`) and gets no new work. */
    agentDownSeconds: setting.integer().min(1).default(75),
    ...serviceUserSettings,
  })
  .refine((settings) => settings.vniMin <= settings.vniMax, { message: 'vniMin must not exceed vniMax', path: ['vniMin'] });
export type NetworkSettings = z.infer<typeof networkSettings>;
