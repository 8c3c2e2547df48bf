import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { ImageEntity } from '@overcast/image/data-access';
import { type ImageStore } from '@overcast/image/drivers';
import { type AuthContext, PolicyService } from '@overcast/shared/auth';
import { badRequest, conflict, OpenStackError } from '@overcast/shared/core';
import { randomUUID } from 'node:crypto';
import { addAbortSignal, type Readable } from 'node:stream';
import { IsNull, Repository } from 'typeorm';
import { ImageActivation, type PropertyChanges, propertyUpdate, type WrittenData } from '../data/image-activation';
import { ImageStores } from '../data/image-stores';
import { type ImageSettings } from '../image.config';
import { IMAGE_SETTINGS } from '../image.tokens';
import { ImagesService } from '../images/images.service';
import { type ImportMethod, ImportMethods } from './import-methods';
import { type ImportRequest, parseImportRequest } from './import-request';
import { StagingArea } from './staging-area';
import { openWebDownload, WebDownloadError } from './web-download';
import { redactUri, UriRefusedError } from './web-download-filter';

/** The properties Glance keeps an import's progress in (api_image_import.py), shown with the image. */
export const IMPORT_TASK = 'os_glance_import_task';
export const IMPORTING_TO_STORES = 'os_glance_importing_to_stores';
export const FAILED_IMPORT = 'os_glance_failed_import';

/** One import after its 202: everything the background work needs, fixed when it was accepted. */
interface ImportJob {
  /** The import's id, in `os_glance_import_task` while it runs (Glance's task id; there is no tasks API here). */
  taskId: string;
  method: ImportMethod;
  image: ImageEntity;
  /** web-download's URL, checked once already. */
  uri?: string;
  stores: ImageStore[];
  allStoresMustSucceed: boolean;
  /** `os_glance_failed_import` before this import, less the stores it targets. */
  earlierFailures: string[];
}

interface RunningImport {
  abort: AbortController;
  done: Promise<void>;
}

/** Glance's store lists in properties: sorted, comma-separated, `''` for none. */
function storeList(ids: Iterable<string>): string {
  return [...new Set(ids)].filter((id) => id !== '').sort().join(',');
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Glance's interoperable image import. `stage` puts data in the staging area (the image goes
 * queued → uploading); `importImage` checks the request, marks the image `importing` and answers
 * 202; the data then moves in the background, through the same meter as an upload, from the
 * staging area (glance-direct) or the web (web-download, through the staging area too) into each
 * target store, and the image becomes active. A failure puts the image back to `queued` with the
 * stores in `os_glance_failed_import`, removes whatever was written, and is logged.
 *
 * The background work lives in this process: if the process dies mid-import, the image stays
 * `importing` (as it does with Glance until its task lock expires).
 */
@Injectable()
export class ImageImportService implements OnModuleDestroy {
  private readonly logger = new Logger('ImageImport');
  private readonly running = new Map<string, RunningImport>();

  constructor(
    @InjectRepository(ImageEntity, 'image') private readonly images: Repository<ImageEntity>,
    @Inject(IMAGE_SETTINGS) private readonly settings: ImageSettings,
    private readonly imagesService: ImagesService,
    private readonly activation: ImageActivation,
    private readonly stores: ImageStores,
    private readonly staging: StagingArea,
    private readonly methods: ImportMethods,
    private readonly policy: PolicyService,
  ) {}

  /** Stopping: imports under way are cut short and undone (the image queued again), not left `importing`. */
  async onModuleDestroy(): Promise<void> {
    const running = [...this.running.values()];
    for (const { abort } of running) {
      abort.abort(new Error('the image service is stopping'));
    }
    await Promise.all(running.map(({ done }) => done));
  }

  /** `PUT /v2/images/{id}/stage`: the data into the staging area, queued → uploading; nothing kept if it breaks off. */
  async stage(auth: AuthContext, id: string, body: Readable, declaredLength: number | undefined, announcedSize: number | undefined): Promise<void> {
    const image = await this.imagesService.changeable(auth, id, 'modify_image');
    const cap = this.settings.imageSizeCap;
    if ((declaredLength ?? 0) > cap || (announcedSize ?? 0) > cap) {
      throw new OpenStackError('payloadTooLarge', `Image exceeds the size limit of ${cap} bytes.`);
    }
    // The status is the lock: one stage at a time, and only into an image without data.
    const { affected } = await this.images.update({ id: image.id, status: 'queued' }, { status: 'uploading', size: null, virtualSize: null, updatedAt: new Date() });
    if (!affected) {
      throw conflict(`Image status transition from ${image.status} to uploading is not allowed`);
    }
    let staged: WrittenData;
    try {
      staged = await this.activation.write(image, this.staging.store, body);
      if (announcedSize !== undefined && staged.stored.size !== announcedSize) {
        throw badRequest(`The image data has ${staged.stored.size} bytes, not the ${announcedSize} announced by x-openstack-image-size.`);
      }
    } catch (error) {
      await this.removeStaged(image.id);
      await this.images.update({ id: image.id, status: 'uploading', size: IsNull() }, { status: 'queued', updatedAt: new Date() });
      throw error;
    }
    // A staged image shows the staged size, as Glance's does; an image still being staged has none.
    const recorded = await this.images.update({ id: image.id, status: 'uploading', size: IsNull() }, { size: staged.stored.size, updatedAt: new Date() });
    if (!recorded.affected) {
      await this.staging.delete(image.id);
      throw conflict(`Image ${image.id} was deleted during the upload.`);
    }
  }

  /** `POST /v2/images/{id}/import`: checks as Glance does, marks the image importing, and starts the work. */
  async importImage(auth: AuthContext, id: string, body: unknown, storeHeader: string | undefined): Promise<void> {
    const request = parseImportRequest(body, this.methods.enabled, storeHeader);
    const image = await this.imagesService.visible(auth, id);
    if (image.status === 'active') {
      throw conflict('Image with status active cannot be target for import');
    }
    if (request.method === 'web-download' && image.status !== 'queued') {
      throw conflict(`Image needs to be in 'queued' state to use '${request.method}' method`);
    }
    if (request.method === 'glance-direct' && (image.status !== 'uploading' || image.size === null)) {
      throw conflict("Image needs to be staged before 'glance-direct' method can be used");
    }
    if (!image.containerFormat) {
      throw conflict("'container_format' needs to be set before import");
    }
    if (!image.diskFormat) {
      throw conflict("'disk_format' needs to be set before import");
    }
    this.policy.enforce('modify_image', auth, { owner: image.owner ?? '' });
    const stores = this.targetStores(request);
    const uri = request.method === 'web-download' ? await this.checkUri(request.uri) : undefined;

    const taskId = randomUUID();
    const targets = stores.map((store) => store.id);
    const earlierFailures = (image.properties[FAILED_IMPORT] ?? '').split(',').filter((store) => store !== '' && !targets.includes(store));
    const from = image.status;
    const marks = propertyUpdate({ set: { [IMPORT_TASK]: taskId, [IMPORTING_TO_STORES]: storeList(targets), [FAILED_IMPORT]: storeList(earlierFailures) } });
    const query = this.images
      .createQueryBuilder()
      .update(ImageEntity)
      .set({ status: 'importing', updatedAt: new Date(), ...marks.set })
      .where('id = :id AND status = :from', { id: image.id, from })
      .setParameters(marks.parameters);
    if (from === 'uploading') {
      query.andWhere('size IS NOT NULL');
    }
    if (!(await query.execute()).affected) {
      throw conflict(`Image status transition from ${image.status} to importing is not allowed`);
    }
    this.logger.log(`import ${taskId} (${request.method}) of image ${image.id} into ${storeList(targets)} accepted`);
    this.launch({ taskId, method: request.method, image: { ...image, status: 'importing' }, uri, stores, allStoresMustSucceed: request.allStoresMustSucceed, earlierFailures });
  }

  /** The stores an import goes to: all, those named, or the default; an unknown one is a 409 (Glance's UnknownScheme). */
  private targetStores(request: ImportRequest): ImageStore[] {
    const known = this.stores.describe();
    const ids = request.allStores ? known.map((store) => store.id) : (request.stores ?? known.filter((store) => store.default).map((store) => store.id));
    for (const storeId of ids) {
      if (!known.some((store) => store.id === storeId)) {
        throw conflict(`Store for identifier ${storeId} not found`);
      }
    }
    // In id order, so that the image's `stores` lists them sorted, as tempest's import waiter expects.
    return [...ids].sort().map((storeId) => this.stores.pick(storeId));
  }

  /** web-download's URL, if the filter lets it through (Glance's 400 otherwise, saying why). */
  private async checkUri(uri: unknown): Promise<string> {
    if (typeof uri !== 'string' || uri === '') {
      throw badRequest('URI for web-download does not pass filtering: no uri given');
    }
    try {
      await this.methods.webDownload.check(uri);
      return uri;
    } catch (error) {
      if (error instanceof UriRefusedError) {
        throw badRequest(`URI for web-download does not pass filtering: ${redactUri(uri)} (${error.message})`);
      }
      throw error;
    }
  }

  /** Runs the job in the background; whatever escapes it is logged, never dropped. */
  private launch(job: ImportJob): void {
    const abort = new AbortController();
    const done = this.run(job, abort.signal)
      .catch((error: unknown) => this.logger.error(`import ${job.taskId} of image ${job.image.id} failed and could not be undone, the image may stay importing: ${reason(error)}`))
      .finally(() => this.running.delete(job.taskId));
    this.running.set(job.taskId, { abort, done });
  }

  private async run(job: ImportJob, signal: AbortSignal): Promise<void> {
    const { image } = job;
    const written: WrittenData[] = [];
    const failed: string[] = [];
    try {
      try {
        if (job.uri !== undefined) {
          await this.download(job, job.uri, signal);
        }
        await this.writeToStores(job, signal, written, failed);
      } finally {
        // The staged copy goes before the image's status changes (here or in undo), so that a client
        // that sees the import end, active or queued again, finds none left.
        await this.removeStaged(image.id);
      }
      if (written.length === 0) {
        throw new Error('None of the uploads finished!');
      }
      await this.activation.activate(image, 'importing', written, {
        remove: [IMPORT_TASK],
        set: { [IMPORTING_TO_STORES]: '', [FAILED_IMPORT]: storeList([...job.earlierFailures, ...failed]) },
      });
      this.logger.log(`import ${job.taskId} of image ${image.id} done: active in ${storeList(written.map(({ store }) => store.id))}`);
    } catch (error) {
      await this.undo(job, written, error);
    }
  }

  /** The staged data into each target store: what was written goes to `written`, the stores that failed (when others may go on) to `failed`. */
  private async writeToStores(job: ImportJob, signal: AbortSignal, written: WrittenData[], failed: string[]): Promise<void> {
    const { image } = job;
    for (const store of job.stores) {
      try {
        const staged = addAbortSignal(signal, await this.staging.get(image.id));
        written.push(await this.activation.write(image, store, staged));
      } catch (error) {
        if (job.allStoresMustSucceed || signal.aborted) {
          throw error;
        }
        this.logger.warn(`import ${job.taskId} of image ${image.id}: store ${store.id} failed, the others go on (all_stores_must_succeed is false): ${reason(error)}`);
        failed.push(store.id);
      }
    }
  }

  /** The staged data is a copy: failing to remove it is logged, and does not fail the import. */
  private async removeStaged(imageId: string): Promise<void> {
    await this.staging.delete(imageId).catch((error: unknown) => this.logger.warn(`removing the staged data of image ${imageId} failed: ${reason(error)}`));
  }

  /** web-download's first half: the URL's data into the staging area, through the meter (size cap). */
  private async download(job: ImportJob, uri: string, signal: AbortSignal): Promise<void> {
    const cap = this.settings.imageSizeCap;
    const download = await openWebDownload(this.methods.webDownload, uri, { timeoutMs: this.settings.webDownload.timeoutSeconds * 1000, signal });
    if (download.length !== undefined && download.length > cap) {
      download.data.destroy();
      throw new OpenStackError('payloadTooLarge', `Image exceeds the size limit of ${cap} bytes.`);
    }
    const staged = await this.activation.write(job.image, this.staging.store, download.data);
    if (download.length !== undefined && staged.stored.size !== download.length) {
      throw new WebDownloadError(`${redactUri(uri)} sent ${staged.stored.size} bytes where it announced ${download.length}`);
    }
  }

  /** After a failure: the written data removed, the image queued again with the stores marked failed, as Glance's revert does. */
  private async undo(job: ImportJob, written: readonly WrittenData[], error: unknown): Promise<void> {
    const { image } = job;
    if ((await this.images.findOneBy({ id: image.id }))?.status === 'active') {
      // The image did become active; only what follows (an event) failed.
      this.logger.error(`import ${job.taskId} of image ${image.id}: the image is active, but ${reason(error)}`);
      return;
    }
    await this.activation.discard(image.id, written);
    const changes: PropertyChanges = { remove: [IMPORT_TASK], set: { [IMPORTING_TO_STORES]: '', [FAILED_IMPORT]: storeList([...job.earlierFailures, ...job.stores.map((store) => store.id)]) } };
    const update = propertyUpdate(changes);
    await this.images
      .createQueryBuilder()
      .update(ImageEntity)
      .set({ status: 'queued', size: null, virtualSize: null, updatedAt: new Date(), ...update.set })
      .where('id = :id AND status = :status', { id: image.id, status: 'importing' })
      .setParameters(update.parameters)
      .execute();
    this.logger.error(`import ${job.taskId} (${job.method}) of image ${image.id} failed, the image is queued again: ${reason(error)}`);
  }
}
