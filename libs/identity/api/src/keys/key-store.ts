import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type JsonWebKeySet, type TokenClaims, type VerificationKeys } from '@overcast/shared/auth';
import { type FSWatcher, watch } from 'node:fs';
import { type KeyObject } from 'node:crypto';
import { KeyRing } from './key-ring';

/** The live key ring: reloaded when `overcast identity rotate-keys` changes the directory. */
@Injectable()
export class KeyStore implements VerificationKeys, OnModuleDestroy {
  private watcher?: FSWatcher;
  private reloading = false;
  /** A change arrived during a reload, which may have read the directory before it. */
  private changedSinceLoad = false;

  private constructor(
    private ring: KeyRing,
    private readonly onReloadError: (error: unknown) => void,
  ) {}

  static async open(dir: string, onReloadError: (error: unknown) => void): Promise<KeyStore> {
    const store = new KeyStore(await KeyRing.load(dir), onReloadError);
    store.watcher = watch(dir, () => void store.reload(dir));
    return store;
  }

  /** A rotation changes the directory in several steps: reload until a load has seen the last of them. */
  private async reload(dir: string): Promise<void> {
    this.changedSinceLoad = true;
    if (this.reloading) {
      return;
    }
    this.reloading = true;
    while (this.changedSinceLoad) {
      this.changedSinceLoad = false;
      try {
        this.ring = await KeyRing.load(dir);
      } catch (error) {
        this.onReloadError(error);
      }
    }
    this.reloading = false;
  }

  sign(claims: TokenClaims): Promise<string> {
    return this.ring.sign(claims);
  }

  getKey(kid: string): Promise<KeyObject | undefined> {
    return this.ring.getKey(kid);
  }

  jwks(): JsonWebKeySet {
    return this.ring.jwks();
  }

  onModuleDestroy(): void {
    this.watcher?.close();
  }
}
