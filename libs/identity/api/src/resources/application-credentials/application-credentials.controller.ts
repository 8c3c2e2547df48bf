import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest, forbidden, notFound, parseInput } from '@overcast/shared/core';
import { ApplicationCredentialEntity, type NamedRole } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { randomBytes } from 'node:crypto';
import { Repository } from 'typeorm';
import { z } from 'zod';
import { Filters } from '../../common/filters';
import { newId } from '../../common/ids';
import { collection, withSelf } from '../../common/links';
import { saveUnique } from '../../common/persistence';
import { descriptionSchema, nameSchema } from '../../common/schemas';
import { hashSecret } from '../../common/secret-hasher';
import { RevocationService } from '../../revocations/revocation.service';

const createSchema = z.object({
  application_credential: z.object({
    name: nameSchema,
    secret: z.string().min(1).max(4096).optional(),
    description: descriptionSchema.optional(),
    expires_at: z.iso.datetime({ offset: true, local: true }).nullable().optional(),
    roles: z.array(z.object({ id: z.string().optional(), name: z.string().optional() }).refine((role) => role.id !== undefined || role.name !== undefined, { message: 'a role needs an id or a name' })).optional(),
    unrestricted: z.boolean().optional(),
    access_rules: z.array(z.unknown()).max(0, { message: 'access rules are not supported' }).optional(),
  }),
});

function present(request: Request, credential: ApplicationCredentialEntity) {
  return withSelf(request, `users/${credential.userId}/application_credentials/${credential.id}`, {
    id: credential.id,
    name: credential.name,
    description: credential.description,
    user_id: credential.userId,
    project_id: credential.projectId,
    // Keystone's format: microseconds, no zone.
    expires_at: credential.expiresAt,
    unrestricted: credential.unrestricted,
    roles: credential.roles.map((role) => ({ ...role, domain_id: null })),
    access_rules: [],
  });
}

/** A user's application credentials: a secret shown once, stored hashed, delegating some of the user's roles on one project. */
/**
 * An ISO 8601 time (with or without a zone; none means UTC) as Keystone keeps it: UTC to the
 * microsecond, no zone. Zone offsets are whole minutes, so the fraction carries over unchanged.
 */
function utcMicroseconds(input: string): string {
  const fraction = (/T[\d:]+\.(\d+)/.exec(input)?.[1] ?? '').padEnd(6, '0').slice(0, 6);
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(input) ? input : `${input}Z`;
  return `${new Date(zoned).toISOString().slice(0, 19)}.${fraction}`;
}

@Controller('v3/users/:userId/application_credentials')
export class ApplicationCredentialsController {
  constructor(
    @InjectRepository(ApplicationCredentialEntity, 'identity') private readonly credentials: Repository<ApplicationCredentialEntity>,
    private readonly policy: PolicyService,
    private readonly revocations: RevocationService,
  ) {}

  @Post()
  async create(@CurrentAuth() auth: AuthContext, @Param('userId') userId: string, @Body() body: unknown, @Req() request: Request) {
    this.policy.enforce('identity:create_application_credential', auth, { 'target.user.id': userId });
    const { application_credential: input } = parseInput(createSchema, body);
    if (!auth.projectId) {
      throw badRequest('An application credential is made with a project-scoped token.');
    }
    if (auth.claims.application_credential?.restricted) {
      throw forbidden('A restricted application credential cannot make another one.');
    }
    const roles = this.delegatedRoles(auth, input.roles);
    const expiresAt = input.expires_at ? utcMicroseconds(input.expires_at) : null;
    if (expiresAt && Date.parse(`${expiresAt}Z`) <= Date.now()) {
      throw badRequest('expires_at must be in the future.');
    }
    const secret = input.secret ?? randomBytes(48).toString('base64url');
    const row = this.credentials.create({
      id: newId(),
      name: input.name,
      userId,
      projectId: auth.projectId,
      secretHash: await hashSecret(secret),
      description: input.description ?? null,
      expiresAt,
      unrestricted: input.unrestricted ?? false,
      roles,
    });
    const saved = await saveUnique(this.credentials, row, 'application credential', input.name);
    return { application_credential: { ...present(request, saved), secret } };
  }

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('userId') userId: string, @Filters() query: Record<string, string>, @Req() request: Request) {
    this.policy.enforce('identity:list_application_credentials', auth, { 'target.user.id': userId });
    const rows = await this.credentials.find({ where: { userId, name: query['name'] }, order: { name: 'ASC' } });
    return collection(request, 'application_credentials', rows.map((row) => present(request, row)));
  }

  @Get(':id')
  async get(@CurrentAuth() auth: AuthContext, @Param('userId') userId: string, @Param('id') id: string, @Req() request: Request) {
    this.policy.enforce('identity:get_application_credential', auth, { 'target.user.id': userId });
    return { application_credential: present(request, await this.find(userId, id)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('userId') userId: string, @Param('id') id: string) {
    this.policy.enforce('identity:delete_application_credential', auth, { 'target.user.id': userId });
    if (auth.claims.application_credential?.restricted) {
      throw forbidden('A restricted application credential cannot delete application credentials.');
    }
    await this.find(userId, id);
    await this.credentials.delete({ id });
    await this.revocations.revoke({ application_credential_id: id });
  }

  private async find(userId: string, id: string): Promise<ApplicationCredentialEntity> {
    const row = await this.credentials.findOneBy({ id, userId });
    if (!row) {
      throw notFound(`Could not find application credential: ${id}.`);
    }
    return row;
  }

  /** The roles asked for, which must be among the token's; all of the token's when none are named. */
  private delegatedRoles(auth: AuthContext, requested: { id?: string; name?: string }[] | undefined): NamedRole[] {
    if (!requested || requested.length === 0) {
      return auth.claims.roles;
    }
    return requested.map((wanted) => {
      const held = auth.claims.roles.find((role) => role.id === wanted.id || role.name === wanted.name);
      if (!held) {
        throw forbidden(`You cannot delegate a role you do not hold on this project: ${wanted.id ?? wanted.name}.`);
      }
      return held;
    });
  }
}
