import { Controller, Get } from '@nestjs/common';
import { ImageStores } from './data/image-stores';
import { ImportMethods } from './import/import-methods';

/** What an import may use, and where data may go (Glance's discovery calls for interoperable import). */
@Controller('v2/info')
export class InfoController {
  constructor(
    private readonly stores: ImageStores,
    private readonly methods: ImportMethods,
  ) {}

  /** Only the methods that work here: web-download only where some host is allowed. */
  @Get('import')
  importMethods() {
    return { 'import-methods': { description: 'Import methods available.', type: 'array', value: this.methods.enabled } };
  }

  @Get('stores')
  listStores() {
    return { stores: this.stores.describe() };
  }
}
