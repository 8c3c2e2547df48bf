import { type ServerGroupPolicy } from '@overcast/compute/data-access';
import { badRequest, parseInput } from '@overcast/shared/core';
import { z } from 'zod';
import { type ApiVersion } from '../common/microversion';
import { novaName, required, strict } from '../common/nova-input';

const HARD_POLICIES: ServerGroupPolicy[] = ['anti-affinity', 'affinity'];
const ALL_POLICIES: ServerGroupPolicy[] = [...HARD_POLICIES, 'soft-anti-affinity', 'soft-affinity'];

const oneOf = (policies: ServerGroupPolicy[]) => z.enum(policies, { error: required(`one of [${policies.map((policy) => `'${policy}'`).join(', ')}]`) });

/** Until 2.64 a list of exactly one policy; the soft ones from 2.15. */
const policiesBody = (policies: ServerGroupPolicy[]) =>
  z.strictObject(
    {
      server_group: z.strictObject(
        {
          name: novaName(),
          policies: z
            .array(oneOf(policies), { error: required('an array') })
            .min(1, 'is too short')
            .max(1, 'is too long'),
        },
        strict,
      ),
    },
    strict,
  );

/** Nova's `positive_integer`: a whole number ≥ 1, or the digits of one. */
const positiveInteger = z.union([z.number().int(), z.string().regex(/^[0-9]+$/, "does not match '^[0-9]*$'")], { error: 'is not of type integer, string' }).transform(Number).refine((value) => value >= 1, 'is less than the minimum of 1');

/** From 2.64 one `policy`, with `rules` (`max_server_per_host`) for anti-affinity. */
const policyBody = z.strictObject(
  {
    server_group: z.strictObject(
      {
        name: novaName(),
        policy: oneOf(ALL_POLICIES),
        rules: z.strictObject({ max_server_per_host: positiveInteger.optional() }, strict).optional(),
      },
      strict,
    ),
  },
  strict,
);

export interface ServerGroupCreate {
  name: string;
  policy: ServerGroupPolicy;
  rules: Record<string, number>;
}

/** `POST /os-server-groups`, as the request's microversion shapes it; a bad body is Nova's 400. */
export function serverGroupCreateBody(body: unknown, version: ApiVersion): ServerGroupCreate {
  if (!version.atLeast('2.64')) {
    const { server_group: group } = parseInput(policiesBody(version.atLeast('2.15') ? ALL_POLICIES : HARD_POLICIES), body);
    return { name: group.name, policy: group.policies[0] as ServerGroupPolicy, rules: {} };
  }
  const { server_group: group } = parseInput(policyBody, body);
  const maxPerHost = group.rules?.max_server_per_host;
  const rules: Record<string, number> = maxPerHost === undefined ? {} : { max_server_per_host: maxPerHost };
  if (group.policy !== 'anti-affinity' && Object.keys(rules).length > 0) {
    throw badRequest('Only anti-affinity policy supports rules.');
  }
  return { name: group.name, policy: group.policy, rules };
}
