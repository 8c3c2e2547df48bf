import { z } from 'zod';

const id = z.string().min(1).max(255);
const domainRef = z
  .object({ id: id.optional(), name: id.optional() })
  .refine((ref) => ref.id !== undefined || ref.name !== undefined, { message: 'a domain needs an id or a name' });
const userRef = z.object({ id: id.optional(), name: id.optional(), domain: domainRef.optional() });
const namedInDomain = z
  .object({ id: id.optional(), name: id.optional(), domain: domainRef.optional() })
  .refine((ref) => ref.id !== undefined || (ref.name !== undefined && ref.domain !== undefined), {
    message: 'needs an id, or a name and a domain',
  });

const scope = z.union([
  z.literal('unscoped'),
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
      password: z.object({ user: userRef.extend({ password: z.string().min(1).max(4096) }) }).optional(),
      token: z.object({ id: z.string().min(1) }).optional(),
      application_credential: z
        .object({ id: id.optional(), name: id.optional(), secret: z.string().min(1).max(4096), user: userRef.optional() })
        .optional(),
    }),
    scope: scope.optional(),
  }),
});
export type AuthRequest = z.infer<typeof authRequestSchema>['auth'];
export type ScopeRequest = NonNullable<AuthRequest['scope']>;
export type DomainRef = z.infer<typeof domainRef>;
export type UserRef = z.infer<typeof userRef>;
