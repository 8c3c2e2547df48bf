import { Controller, Get } from '@nestjs/common';
import { ImageStores } from './data/image-stores';

/** What an import may use, and where data may go (Glance's discovery calls for interoperable import). */
@Controller('v2/info')
export class InfoController {
  constructor(private readonly stores: ImageStores) {}

  @Get('import')
  importMethods() {
    return { 'import-methods': { description: 'Import methods available.', type: 'array', value: ['glance-direct', 'web-download'] } };
  }

  @Get('stores')
  listStores() {
    return { stores: this.stores.describe() };
  }
}
