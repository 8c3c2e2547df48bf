import { type ImageLocation } from '@overcast/image/data-access';
import { type ImageStore } from '@overcast/image/drivers';
import { badRequest } from '@overcast/shared/core';

/** The configured stores by id (Glance's multi-store backends), one of them the default. */
export class ImageStores {
  private readonly byId: Map<string, ImageStore>;

  constructor(
    stores: ImageStore[],
    private readonly defaultId: string,
  ) {
    this.byId = new Map(stores.map((store) => [store.id, store]));
  }

  /** The store a client named, or the default; an unknown name is a 400. */
  pick(id: string | undefined): ImageStore {
    const store = this.byId.get(id ?? this.defaultId);
    if (!store) {
      throw badRequest(`Store for identifier ${id} not found`);
    }
    return store;
  }

  storeOf(location: ImageLocation): ImageStore {
    const store = this.byId.get(location.store);
    if (!store) {
      throw new Error(`image data is in the store ${location.store}, which is not configured`);
    }
    return store;
  }

  async delete(location: ImageLocation): Promise<void> {
    await this.storeOf(location).delete(location.url);
  }

  /** Glance's `/v2/info/stores`. */
  describe(): { id: string; default?: true; description: string }[] {
    return [...this.byId.values()].map((store) => ({
      id: store.id,
      ...(store.id === this.defaultId ? { default: true as const } : {}),
      description: `${store.constructor.name.replace(/ImageStore$/, '')} store ${store.id}`,
    }));
  }
}
