import { badRequest, parseInput } from '@overcast/shared/core';
import { z } from 'zod';

/** How Nova keeps an access IP (a netaddr `IPAddress`): IPv6 compressed, so `0:0::babe:220.12.22.2` reads back as `::babe:dc0c:1602`. */
const canonicalIp = (address: string) => (address.includes(':') ? new URL(`http://[${address}]`).hostname.slice(1, -1) : address);
const accessIps = {
  accessIPv4: z.ipv4().transform(canonicalIp).optional(),
  accessIPv6: z.ipv6().transform(canonicalIp).optional(),
};

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const name = z.string().min(1).max(255).refine((value) => value.trim() === value, { message: 'leading or trailing whitespace is not allowed' });
const metadata = z.record(z.string().min(1).max(255), z.string().max(255));
const uuid = z.string().regex(UUID, { message: 'is not a UUID' });

const requestedNetwork = z.strictObject({
  uuid: uuid.optional(),
  port: uuid.optional(),
  fixed_ip: z.union([z.ipv4(), z.ipv6()]).optional(),
  tag: z.string().max(60).optional(),
});

const blockDeviceMapping = z.strictObject({
  uuid: z.string().optional(),
  source_type: z.enum(['volume', 'image', 'snapshot', 'blank']).optional(),
  destination_type: z.enum(['volume', 'local']).optional(),
  boot_index: z.union([z.number().int(), z.string().regex(/^-?\d+$/), z.null()]).optional(),
  delete_on_termination: z.boolean().optional(),
  volume_size: z.union([z.number().int().min(1), z.string().regex(/^\d+$/)]).optional(),
  device_name: z.string().max(255).optional(),
  disk_bus: z.string().optional(),
  device_type: z.string().optional(),
  guest_format: z.string().optional(),
  tag: z.string().max(60).optional(),
  volume_type: z.string().optional(),
});

const createBody = z.strictObject({
  server: z.strictObject({
    name,
    imageRef: z.string().optional(),
    flavorRef: z.union([z.string().min(1), z.number().int()]).transform(String),
    adminPass: z.string().optional(),
    metadata: metadata.optional(),
    networks: z.union([z.array(requestedNetwork), z.enum(['auto', 'none'])]).optional(),
    'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(),
    ...accessIps,
    key_name: z.string().min(1).max(255).optional(),
    user_data: z.string().max(65535).optional(),
    availability_zone: z.string().min(1).max(255).optional(),
    block_device_mapping_v2: z.array(blockDeviceMapping).optional(),
    security_groups: z.array(z.strictObject({ name: z.string().min(1) })).optional(),
    config_drive: z.union([z.boolean(), z.enum(['True', 'False', 'true', 'false', ''])]).optional(),
    min_count: z.union([z.number().int().min(1), z.string().regex(/^[1-9]\d*$/)]).optional(),
    max_count: z.union([z.number().int().min(1), z.string().regex(/^[1-9]\d*$/)]).optional(),
    return_reservation_id: z.boolean().optional(),
    description: z.string().max(255).nullable().optional(),
  }),
  'os:scheduler_hints': z.object({ group: uuid.optional() }).loose().optional(),
  'OS-SCH-HNT:scheduler_hints': z.object({ group: uuid.optional() }).loose().optional(),
});

const updateBody = z.strictObject({
  server: z.strictObject({ name: name.optional(), 'OS-DCF:diskConfig': z.enum(['AUTO', 'MANUAL']).optional(), ...accessIps }),
});

/** A network the server asks for: a network (maybe with its fixed IP), or a port the user made. */
export type RequestedNetwork = { kind: 'network'; networkId: string; fixedIp?: string } | { kind: 'port'; portId: string };

/** A volume the server is built with (only `source_type: volume` ones: others need a local image cache Nova's way). */
export interface RequestedVolume {
  volumeId: string;
  bootIndex: number | null;
  deleteOnTermination: boolean;
  deviceName?: string;
  tag?: string;
}

/** A server create, checked for shape: what remains is checked against the other services. */
export interface BootRequest {
  name: string;
  description: string | null;
  /** The guest's root password asked for; Nova answers it (or one it made up) and puts it on the config drive. */
  adminPass?: string;
  imageRef?: string;
  flavorRef: string;
  metadata: Record<string, string>;
  /** `auto`: the project's network, if it has exactly one usable; `none`: no NIC. */
  networks: RequestedNetwork[] | 'auto' | 'none';
  accessIpV4?: string;
  accessIpV6?: string;
  keyName?: string;
  userData?: string;
  availabilityZone?: string;
  volumes: RequestedVolume[];
  securityGroups: string[];
  configDrive: boolean;
  minCount: number;
  maxCount: number;
  returnReservationId: boolean;
  groupId?: string;
}

/** The last path segment of an id given as a link (`http://…/flavors/1` → `1`), as Nova accepts them. */
export function idFromRef(ref: string): string {
  return ref.replace(/\/+$/, '').split('/').pop() ?? ref;
}

/** Parses `POST /servers`; a bad body is Nova's 400 naming what is wrong. */
export function parseBootRequest(body: unknown): BootRequest {
  const input = parseInput(createBody, body);
  const server = input.server;
  const userData = server.user_data;
  if (userData !== undefined && !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(userData)) {
    throw badRequest("Invalid input for field/attribute user_data. Value: not base64. 'user_data' must be base64 encoded.");
  }
  const networks =
    server.networks === undefined || typeof server.networks === 'string'
      ? (server.networks ?? 'auto')
      : server.networks.map((network): RequestedNetwork => {
          if (network.port !== undefined) {
            // The port brings its own address; its network is the port's.
            if (network.fixed_ip !== undefined) {
              throw badRequest('Specified Fixed IP and port are mutually exclusive.');
            }
            return { kind: 'port', portId: network.port };
          }
          if (network.uuid === undefined) {
            throw badRequest('Bad networks format: network uuid is not in proper format (None)');
          }
          return { kind: 'network', networkId: network.uuid, fixedIp: network.fixed_ip };
        });
  const volumes = (server.block_device_mapping_v2 ?? []).map((mapping): RequestedVolume => {
    if (mapping.source_type !== 'volume' || mapping.destination_type === 'local' || mapping.uuid === undefined) {
      throw badRequest('Block Device Mapping is Invalid: only existing volumes (source_type volume, destination_type volume, with a uuid) are supported.');
    }
    const bootIndex = mapping.boot_index === undefined || mapping.boot_index === null ? null : Number(mapping.boot_index);
    return { volumeId: mapping.uuid, bootIndex: bootIndex !== null && bootIndex < 0 ? null : bootIndex, deleteOnTermination: mapping.delete_on_termination ?? false, deviceName: mapping.device_name, tag: mapping.tag };
  });
  const bootsFromVolume = volumes.some((volume) => volume.bootIndex === 0);
  const imageRef = server.imageRef === undefined || server.imageRef === '' ? undefined : idFromRef(server.imageRef);
  if (imageRef === undefined && !bootsFromVolume) {
    throw badRequest('Block Device Mapping is Invalid: Boot sequence for the instance and image/block device mapping combination is not valid.');
  }
  const minCount = Number(server.min_count ?? 1);
  const maxCount = Number(server.max_count ?? minCount);
  if (minCount > maxCount) {
    throw badRequest('min_count must be <= max_count');
  }
  const configDrive = server.config_drive === true || server.config_drive === 'True' || server.config_drive === 'true';
  const hints = input['os:scheduler_hints'] ?? input['OS-SCH-HNT:scheduler_hints'];
  return {
    name: server.name,
    description: server.description ?? null,
    adminPass: server.adminPass,
    imageRef,
    flavorRef: idFromRef(server.flavorRef),
    metadata: server.metadata ?? {},
    networks,
    accessIpV4: server.accessIPv4,
    accessIpV6: server.accessIPv6,
    keyName: server.key_name,
    userData,
    availabilityZone: server.availability_zone,
    volumes,
    securityGroups: (server.security_groups ?? []).map((group) => group.name),
    configDrive,
    minCount,
    maxCount,
    returnReservationId: server.return_reservation_id ?? false,
    groupId: hints?.group,
  };
}

/** What `PUT /servers/{id}` may change. */
export interface ServerUpdate {
  name?: string;
  accessIpV4?: string;
  accessIpV6?: string;
}

export function parseServerUpdate(body: unknown): ServerUpdate {
  const { server } = parseInput(updateBody, body);
  return { name: server.name, accessIpV4: server.accessIPv4, accessIpV6: server.accessIPv6 };
}
