import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type JsonWebKeySet, type TokenClaims, type VerificationKeys } from '@overcast/shared/auth';
import { type FSWatcher, watch } from 'node:fs';
import { type KeyObject } from 'node:crypto';
import { KeyRing } from './key-ring';

/** The live key ring: reloaded when `overcast identity rotate-keys` changes the directory. */
@Injectable()
export class KeyStore implements VerificationKeys, OnModuleDestroy {
  private watcher?: FSWatcher;
  private reloading?: Promise<void>;

  private constructor(
    private ring: KeyRing,
    private readonly onReloadError: (error: unknown) => void,
  ) {}

  static async open(dir: string, onReloadError: (error: unknown) => void): Promise<KeyStore> {
    const store = new KeyStore(await KeyRing.load(dir), onReloadError);
    store.watcher = watch(dir, () => {
      store.reloading ??= KeyRing.load(dir)
        .then((ring) => {
          store.ring = ring;
        }, store.onReloadError)
        .finally(() => (store.reloading = undefined));
    });
    return store;
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
