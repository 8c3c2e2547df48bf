import { FileImageStore } from '@overcast/image/drivers';
import { resolve } from 'node:path';
import { type Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';

/** The staging area's store id, as Glance names its reserved staging store. */
export const STAGING_STORE_ID = 'os_glance_staging_store';

/**
 * Where image data waits between `PUT /v2/images/{id}/stage` (or a web-download) and its import
 * into the stores (Glance's `node_staging_uri`): a file store on a directory of its own, one file per
 * image, named by the image id as Glance names it, so the staged data of an image is found from its id.
 */
export class StagingArea {
  /** The file store the data goes into (through the upload meter, as any image data does). */
  readonly store: FileImageStore;

  constructor(private readonly directory: string) {
    this.store = new FileImageStore(STAGING_STORE_ID, directory);
  }

  /** The staged data of the image; fails if there is none. */
  get(imageId: string): Promise<Readable> {
    return this.store.get(this.locationOf(imageId));
  }

  /** Removes the image's staged data; none is not an error. */
  delete(imageId: string): Promise<void> {
    return this.store.delete(this.locationOf(imageId));
  }

  private locationOf(imageId: string): string {
    return pathToFileURL(resolve(this.directory, imageId)).href;
  }
}
