import { FileImageStore } from './file/file-store';
import { type ImageStore } from './image-store';
import { RbdImageStore, type RbdStoreSettings } from './rbd/rbd-store';

/** One configured store (an entry of the image service's `stores`), picked by `driver`. */
export type ImageStoreConfig = { driver: 'file'; id: string; directory: string } | ({ driver: 'rbd' } & RbdStoreSettings);

/** The store a config describes, ready to use; an unknown driver stops start-up with the choices. */
export async function createImageStore(config: ImageStoreConfig): Promise<ImageStore> {
  switch (config.driver) {
    case 'file':
      return new FileImageStore(config.id, config.directory);
    case 'rbd':
      return RbdImageStore.open(config);
    default: {
      // Config files are not type-checked: say which value was wrong, and what it may be.
      const { driver, id } = config as { driver: unknown; id: unknown };
      throw new Error(`the image store ${JSON.stringify(id)} has driver ${JSON.stringify(driver)}, which is not one of: file, rbd`);
    }
  }
}
