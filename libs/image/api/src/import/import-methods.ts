import { Inject, Injectable } from '@nestjs/common';
import { type ImageSettings } from '../image.config';
import { IMAGE_SETTINGS } from '../image.tokens';
import { WebDownloadFilter } from './web-download-filter';

export type ImportMethod = 'glance-direct' | 'web-download';

/**
 * The import methods this cloud offers (Glance's `enabled_import_methods`), as `/v2/info/import`
 * and the `OpenStack-image-import-methods` header of an image create advertise them:
 * `glance-direct` always, `web-download` only where the settings allow some host.
 */
@Injectable()
export class ImportMethods {
  readonly webDownload: WebDownloadFilter;

  constructor(@Inject(IMAGE_SETTINGS) settings: ImageSettings) {
    this.webDownload = new WebDownloadFilter(settings.webDownload);
  }

  get enabled(): ImportMethod[] {
    return this.webDownload.enabled ? ['glance-direct', 'web-download'] : ['glance-direct'];
  }
}
