import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type NamedRef, RevocationList, type TokenClaims, verifyToken } from '@overcast/shared/auth';
import { forbidden, notFound, OpenStackError, unauthorized } from '@overcast/shared/core';
import { ApplicationCredentialEntity, credentialExpiry, type DomainEntity, type ProjectEntity, type UserEntity } from '@overcast/identity/data-access';
import { Repository } from 'typeorm';
import { CatalogService } from '../catalog/catalog.service';
import { newAuditId } from '../common/ids';
import { LookupService } from '../common/lookup.service';
import { verifySecret } from '../common/secret-hasher';
import { IDENTITY_SETTINGS } from '../identity.tokens';
import { type IdentitySettings } from '../identity.config';
import { KeyStore } from '../keys/key-store';
import { RoleResolver } from '../roles/role-resolver.service';
import { type AuthRequest, type ScopeRequest, type UserRef } from './auth-request.schema';
import { tokenBody } from './token-body';

/** Every way authentication can fail looks the same to the caller. */
const authenticationFailed = () => unauthorized('The request you have made requires authentication.');

interface Subject {
  user: UserEntity;
  userDomain: DomainEntity;
  methods: string[];
  /** Audit id of the token this one was rescoped from. */
  auditChainId?: string;
  /** A rescoped token never outlives the one it came from. */
  notAfter?: number;
  applicationCredential?: ApplicationCredentialEntity;
}

type Scope = { kind: 'project'; project: ProjectEntity; domain: DomainEntity } | { kind: 'domain'; domain: DomainEntity } | { kind: 'system' } | { kind: 'unscoped' };

@Injectable()
export class TokenService {
  constructor(
    private readonly lookup: LookupService,
    private readonly roles: RoleResolver,
    private readonly catalog: CatalogService,
    private readonly keys: KeyStore,
    private readonly revocations: RevocationList,
    @InjectRepository(ApplicationCredentialEntity, 'identity') private readonly applicationCredentials: Repository<ApplicationCredentialEntity>,
    @Inject(IDENTITY_SETTINGS) private readonly settings: IdentitySettings,
  ) {}

  async issue(request: AuthRequest, withCatalog: boolean): Promise<{ token: string; body: unknown }> {
    const subject = await this.authenticate(request);
    const scope = await this.resolveScope(subject, request.scope);
    const roles = await this.rolesFor(subject, scope);
    const claims = this.claims(subject, scope, roles);
    return { token: await this.keys.sign(claims), body: await this.render(claims, withCatalog) };
  }

  /** The claims of a token named in a request (X-Subject-Token, the token method), if it is valid. */
  verify(rawToken: string): Promise<TokenClaims | undefined> {
    return verifyToken(rawToken, this.keys, this.revocations);
  }

  async render(claims: TokenClaims, withCatalog: boolean): Promise<unknown> {
    return tokenBody(claims, withCatalog ? await this.catalog.catalog() : undefined);
  }

  private async authenticate(request: AuthRequest): Promise<Subject> {
    const identity = request.identity;
    const subjects: Subject[] = [];
    for (const method of new Set(identity.methods)) {
      subjects.push(await this.authenticateWith(method, identity));
    }
    const [first, ...others] = subjects;
    if (!first || others.some((other) => other.user.id !== first.user.id)) {
      throw authenticationFailed();
    }
    return { ...Object.assign({}, ...subjects), methods: [...new Set(subjects.flatMap((subject) => subject.methods))] } as Subject;
  }

  private authenticateWith(method: AuthRequest['identity']['methods'][number], identity: AuthRequest['identity']): Promise<Subject> {
    const missing = () => new OpenStackError('badRequest', `Expecting to find ${method} in identity.`);
    switch (method) {
      case 'password':
        return identity.password ? this.byPassword(identity.password.user) : Promise.reject(missing());
      case 'token':
        return identity.token ? this.byToken(identity.token.id) : Promise.reject(missing());
      case 'application_credential':
        return identity.application_credential ? this.byApplicationCredential(identity.application_credential) : Promise.reject(missing());
    }
  }

  private async activeUser(ref: UserRef): Promise<{ user: UserEntity; userDomain: DomainEntity } | undefined> {
    const user = await this.lookup.findInDomain(this.lookup.users, ref);
    const userDomain = user ? await this.lookup.domains.findOneBy({ id: user.domainId }) : null;
    return user && userDomain ? { user, userDomain } : undefined;
  }

  private assertEnabled(found: { user: UserEntity; userDomain: DomainEntity }): void {
    if (!found.user.enabled || !found.userDomain.enabled) {
      throw unauthorized(`The account is disabled for user: ${found.user.id}.`);
    }
  }

  private async byPassword(ref: UserRef & { password: string }): Promise<Subject> {
    const found = await this.activeUser(ref);
    if (!(await verifySecret(found?.user.passwordHash, ref.password)) || !found) {
      throw authenticationFailed();
    }
    this.assertEnabled(found);
    return { ...found, methods: ['password'] };
  }

  private async byToken(rawToken: string): Promise<Subject> {
    const claims = await this.verify(rawToken);
    if (!claims) {
      // Keystone's token method looks the token up like X-Subject-Token validation: not found is a 404.
      throw notFound('Could not find token.');
    }
    if (claims.application_credential) {
      throw forbidden('Rescoping a token made from an application credential is not allowed.');
    }
    const found = await this.activeUser({ id: claims.sub });
    if (!found) {
      throw authenticationFailed();
    }
    this.assertEnabled(found);
    return { ...found, methods: claims.methods.includes('token') ? claims.methods : ['token', ...claims.methods], auditChainId: claims.audit_ids.at(-1), notAfter: claims.exp };
  }

  private async byApplicationCredential(ref: NonNullable<AuthRequest['identity']['application_credential']>): Promise<Subject> {
    let credential: ApplicationCredentialEntity | null = null;
    if (ref.id !== undefined) {
      credential = await this.applicationCredentials.findOneBy({ id: ref.id });
    } else if (ref.name !== undefined && ref.user) {
      const owner = await this.lookup.findInDomain(this.lookup.users, ref.user);
      credential = owner ? await this.applicationCredentials.findOneBy({ userId: owner.id, name: ref.name }) : null;
    }
    if (!(await verifySecret(credential?.secretHash, ref.secret)) || !credential) {
      throw authenticationFailed();
    }
    const expiry = credentialExpiry(credential);
    if (expiry !== undefined && expiry <= Date.now()) {
      throw authenticationFailed();
    }
    const found = await this.activeUser({ id: credential.userId });
    if (!found) {
      throw authenticationFailed();
    }
    this.assertEnabled(found);
    return { ...found, methods: ['application_credential'], applicationCredential: credential, notAfter: expiry === undefined ? undefined : Math.floor(expiry / 1000) };
  }

  private async resolveScope(subject: Subject, requested: ScopeRequest | undefined): Promise<Scope> {
    if (subject.applicationCredential) {
      // An application credential always acts on the project it was made for.
      const project = await this.lookup.projects.findOneBy({ id: subject.applicationCredential.projectId });
      if (requested !== undefined && requested !== 'unscoped' && requested.project?.id !== project?.id) {
        throw authenticationFailed();
      }
      return this.projectScope(project);
    }
    if (requested === 'unscoped') {
      return { kind: 'unscoped' };
    }
    if (requested?.project) {
      return this.projectScope(await this.lookup.findInDomain(this.lookup.projects, requested.project));
    }
    if (requested?.domain) {
      const domain = await this.lookup.findDomain(requested.domain);
      if (!domain?.enabled) {
        throw unauthorized('The domain to scope to was not found or is disabled.');
      }
      return { kind: 'domain', domain };
    }
    if (requested?.system) {
      return { kind: 'system' };
    }
    return this.defaultProjectScope(subject.user);
  }

  private async projectScope(project: ProjectEntity | null): Promise<Scope> {
    const domain = project ? await this.lookup.domains.findOneBy({ id: project.domainId }) : null;
    if (!project || !domain) {
      throw unauthorized('The project to scope to was not found.');
    }
    if (!project.enabled || !domain.enabled) {
      throw unauthorized(`The project to scope to is disabled: ${project.id}.`);
    }
    return { kind: 'project', project, domain };
  }

  /** Like Keystone: with no scope asked for, a usable default project scopes the token. */
  private async defaultProjectScope(user: UserEntity): Promise<Scope> {
    if (!user.defaultProjectId) {
      return { kind: 'unscoped' };
    }
    const scope = await this.projectScope(await this.lookup.projects.findOneBy({ id: user.defaultProjectId })).catch(() => undefined);
    if (scope?.kind !== 'project' || (await this.roles.effectiveRoles(user.id, 'project', scope.project.id)).length === 0) {
      return { kind: 'unscoped' };
    }
    return scope;
  }

  private async rolesFor(subject: Subject, scope: Scope): Promise<NamedRef[]> {
    if (scope.kind === 'unscoped') {
      return [];
    }
    const [targetType, targetId] = scope.kind === 'project' ? (['project', scope.project.id] as const) : scope.kind === 'domain' ? (['domain', scope.domain.id] as const) : (['system', 'all'] as const);
    let roles = await this.roles.effectiveRoles(subject.user.id, targetType, targetId);
    if (subject.applicationCredential) {
      // Delegated roles the user still holds, and nothing more.
      const delegated = new Set(subject.applicationCredential.roles.map((role) => role.id));
      roles = roles.filter((role) => delegated.has(role.id));
    }
    if (roles.length === 0) {
      throw unauthorized(`User ${subject.user.id} has no access to the requested scope.`);
    }
    return roles;
  }

  private claims(subject: Subject, scope: Scope, roles: NamedRef[]): TokenClaims {
    const now = Math.floor(Date.now() / 1000);
    const exp = Math.min(now + this.settings.tokenExpirationSeconds, subject.notAfter ?? Number.MAX_SAFE_INTEGER);
    const claims: TokenClaims = {
      sub: subject.user.id,
      iat: now,
      exp,
      audit_ids: subject.auditChainId ? [newAuditId(), subject.auditChainId] : [newAuditId()],
      methods: subject.methods,
      user: { id: subject.user.id, name: subject.user.name, domain: { id: subject.userDomain.id, name: subject.userDomain.name } },
      roles,
    };
    if (scope.kind === 'project') {
      claims.project = { id: scope.project.id, name: scope.project.name, domain: { id: scope.domain.id, name: scope.domain.name } };
      claims.is_admin_project = scope.project.name === this.settings.adminProjectName && scope.domain.name === this.settings.adminProjectDomainName;
    } else if (scope.kind === 'domain') {
      claims.domain = { id: scope.domain.id, name: scope.domain.name };
    } else if (scope.kind === 'system') {
      claims.system = 'all';
    }
    const credential = subject.applicationCredential;
    if (credential) {
      claims.application_credential = { id: credential.id, name: credential.name, restricted: !credential.unrestricted };
    }
    return claims;
  }
}
