import { Inject, Injectable } from '@nestjs/common';
import { type KeypairEntity } from '@overcast/compute/data-access';
import { badRequest, conflict, forbidden, notFound } from '@overcast/shared/core';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { type Caller } from '../common/caller';
import { type ApiVersion } from '../common/microversion';
import { nextLinks, novaPage } from '../common/nova-list';
import { keypairCreateBody } from './keypair-input';
import { generateSshKeypair, sshFingerprint } from './ssh-keys';
import { generateX509Keypair, x509Fingerprint } from './x509-certificates';
import { KeypairsRepository, type NumberedKeypair } from './keypairs.repository';

const RULE = 'os_compute_api:os-keypairs';

const keypairNotFound = (name: string, userId: string) => notFound(`Keypair ${name} not found for user ${userId}`);

/** Nova's timestamps of the API database: ISO 8601 with microseconds and no zone. */
const novaTime = (date: Date) => date.toISOString().replace('Z', '000');

/** How a request wants its keypairs: whose (the caller's, or a user an admin names from 2.10), at which microversion. */
export interface KeypairRequest {
  caller: Caller;
  version: ApiVersion;
  userId?: string;
}

/** Keypairs (`os-keypairs`): a user's SSH keys, by name, whichever project the user works in. */
@Injectable()
export class KeypairsService {
  constructor(
    private readonly keypairs: KeypairsRepository,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
  ) {}

  /** The caller's keypair a server is built with; an unknown name is Nova's 400 for a server create. */
  async findForBoot(caller: Caller, name: string): Promise<KeypairEntity> {
    const keypair = await this.keypairs.find(caller.userId, name);
    if (keypair === null) {
      throw badRequest('Invalid key_name provided.');
    }
    return keypair;
  }

  /** `GET /os-keypairs`; paged by name from 2.35. */
  async list(request: KeypairRequest, query: Record<string, unknown>, baseUrl: string): Promise<Record<string, unknown>> {
    const userId = this.authorizedUser(request, 'index');
    if (!request.version.atLeast('2.35')) {
      return { keypairs: (await this.keypairs.list(userId)).map((keypair) => ({ keypair: this.summary(keypair, request.version) })) };
    }
    const page = novaPage(query, this.settings.maxPageSize);
    if (page.marker !== undefined && (await this.keypairs.find(userId, page.marker)) === null) {
      throw badRequest(`Marker ${page.marker} could not be found.`);
    }
    const keypairs = await this.keypairs.list(userId, page);
    const links = nextLinks(`${baseUrl}/v2.1/os-keypairs`, query, page, keypairs.map((keypair) => keypair.name));
    return { keypairs: keypairs.map((keypair) => ({ keypair: this.summary(keypair, request.version) })), ...(links.length > 0 ? { keypairs_links: links } : {}) };
  }

  async show(request: KeypairRequest, name: string): Promise<Record<string, unknown>> {
    const userId = this.authorizedUser(request, 'show');
    const keypair = await this.keypairs.findNumbered(userId, name);
    if (keypair === null) {
      throw keypairNotFound(name, userId);
    }
    return this.detail(keypair, request.version);
  }

  /**
   * Imports the public key given, or generates a key pair and shows its private key this once.
   * The user's quota is checked before the name, as Nova does.
   */
  async create(request: KeypairRequest, body: unknown): Promise<Record<string, unknown>> {
    const input = keypairCreateBody(body, request.version);
    const userId = this.authorizedUser({ ...request, userId: input.userId }, 'create');
    const generated = input.publicKey === undefined ? await (input.type === 'x509' ? generateX509Keypair(userId) : generateSshKeypair()) : undefined;
    const publicKey = generated?.publicKey ?? input.publicKey ?? '';
    const fingerprint = generated?.fingerprint ?? (input.type === 'x509' ? x509Fingerprint(publicKey) : sshFingerprint(publicKey));
    const keypair = { userId, name: input.name, type: input.type, publicKey, fingerprint };
    const outcome = await this.keypairs.insertWithinQuota(keypair, this.settings.quotaKeyPairs);
    if (outcome === 'over quota') {
      throw forbidden('Quota exceeded, too many key pairs.');
    }
    if (outcome === 'name taken') {
      throw conflict(`Key pair '${input.name}' already exists.`);
    }
    return {
      ...(generated === undefined ? {} : { private_key: generated.privateKey }),
      ...(request.version.atLeast('2.2') ? { type: keypair.type } : {}),
      name: keypair.name,
      public_key: keypair.publicKey,
      fingerprint: keypair.fingerprint,
      user_id: userId,
    };
  }

  async delete(request: KeypairRequest, name: string): Promise<void> {
    const userId = this.authorizedUser(request, 'delete');
    if (!(await this.keypairs.delete(userId, name))) {
      throw keypairNotFound(name, userId);
    }
  }

  /** The user whose keypairs the request is about, once the policy allows the caller to act for them. */
  private authorizedUser(request: KeypairRequest, action: 'index' | 'show' | 'create' | 'delete'): string {
    const userId = request.userId ?? request.caller.userId;
    request.caller.enforce(`${RULE}:${action}`, { user_id: userId });
    return userId;
  }

  private summary(keypair: KeypairEntity, version: ApiVersion): Record<string, unknown> {
    return { name: keypair.name, public_key: keypair.publicKey, fingerprint: keypair.fingerprint, ...(version.atLeast('2.2') ? { type: keypair.type } : {}) };
  }

  /** Keypairs are deleted outright, so `deleted` is always false; they never change, so `updated_at` is null. */
  private detail(keypair: NumberedKeypair, version: ApiVersion): Record<string, unknown> {
    return {
      ...this.summary(keypair, version),
      user_id: keypair.userId,
      created_at: novaTime(keypair.createdAt),
      deleted: false,
      deleted_at: null,
      id: keypair.id,
      updated_at: null,
    };
  }
}
