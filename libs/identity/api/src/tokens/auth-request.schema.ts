import { z } from 'zod';

const id = z.string().min(1).max(255);
const domainRef = z
  .object({ id: id.optional(), name: id.optional() })
  .refine((ref) => ref.id !== undefined || ref.name !== undefined, { message: 'a domain needs an id or a name' });
/** A user or project: by id, or by name within a domain. */
const namedInDomainFields = { id: id.optional(), name: id.optional(), domain: domainRef.optional() };
const isNamedInDomain = [
  (ref: { id?: string; name?: string; domain?: object }) => ref.id !== undefined || (ref.name !== undefined && ref.domain !== undefined),
  { message: 'needs an id, or a name and a domain' },
] as const;
const namedInDomain = z.object(namedInDomainFields).refine(...isNamedInDomain);

const scope = z.union([
  z.literal('unscoped'),
  // Older keystoneauth asks for an unscoped token this way.
  z
    .object({ unscoped: z.object({}) })
    .strict()
    .transform(() => 'unscoped' as const),
  z
    .object({
      project: namedInDomain.optional(),
      domain: domainRef.optional(),
      system: z.object({ all: z.literal(true) }).strict().optional(),
    })
    .strict()
    .refine((value) => Object.keys(value).length === 1, { message: 'a scope names exactly one of project, domain or system' }),
]);

export const authRequestSchema = z.object({
  auth: z.object({
    identity: z.object({
      methods: z.array(z.enum(['password', 'token', 'application_credential'])).min(1),
      password: z.object({ user: z.object({ ...namedInDomainFields, password: z.string().min(1).max(4096) }).refine(...isNamedInDomain) }).optional(),
      token: z.object({ id: z.string().min(1) }).optional(),
      application_credential: z
        .object({ id: id.optional(), name: id.optional(), secret: z.string().min(1).max(4096), user: namedInDomain.optional() })
        .refine((ref) => ref.id !== undefined || (ref.name !== undefined && ref.user !== undefined), { message: 'needs an id, or a name and a user' })
        .optional(),
    }),
    scope: scope.optional(),
  }),
});
export type AuthRequest = z.infer<typeof authRequestSchema>['auth'];
export type ScopeRequest = NonNullable<AuthRequest['scope']>;
export type DomainRef = z.infer<typeof domainRef>;
export type UserRef = z.infer<typeof namedInDomain>;
