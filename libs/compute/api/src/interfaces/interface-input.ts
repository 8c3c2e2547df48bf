import { badRequest, parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { strict } from '../common/nova-input';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const uuid = z.string().regex(UUID, { message: 'is not a UUID' });

const attachBody = z.strictObject(
  {
    interfaceAttachment: z
      .strictObject(
        {
          net_id: uuid.optional(),
          port_id: uuid.optional(),
          fixed_ips: z
            .array(z.strictObject({ ip_address: z.union([z.ipv4(), z.ipv6()], { error: 'is not a valid IP address' }) }, strict))
            .min(1, 'is too short')
            .max(1, 'is too long')
            .optional(),
        },
        strict,
      )
      .optional(),
  },
  strict,
);

/** The NIC an attach asks for: the user's own port, or a new one on a network (the project's only one when it names none). */
export type InterfaceRequest = { kind: 'port'; portId: string } | { kind: 'network'; networkId?: string; fixedIp?: string };

/** `POST /servers/{id}/os-interface`; the body, and each member of it, may be left out. */
export function interfaceAttachBody(body: unknown): InterfaceRequest {
  const attachment = parseInput(attachBody, body).interfaceAttachment ?? {};
  const fixedIp = attachment.fixed_ips?.[0]?.ip_address;
  if (attachment.net_id !== undefined && attachment.port_id !== undefined) {
    throw badRequest('Must not input both network_id and port_id');
  }
  if (fixedIp !== undefined && attachment.net_id === undefined) {
    throw badRequest('Must input network_id when request IP address');
  }
  return attachment.port_id !== undefined ? { kind: 'port', portId: attachment.port_id } : { kind: 'network', networkId: attachment.net_id, fixedIp };
}
