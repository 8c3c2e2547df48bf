import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule, RequestMethod } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { IMAGE_ENTITIES } from '@overcast/image/data-access';
import { remoteAuthModule } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import express from 'express';
import { join } from 'node:path';
import { type DataSource } from 'typeorm';
import { ImageActivation } from './data/image-activation';
import { ImageDataController } from './data/image-data.controller';
import { ImageDataService } from './data/image-data.service';
import { ImageStores } from './data/image-stores';
import { type ImageSettings } from './image.config';
import { IMAGE_POLICY } from './image.policy';
import { IMAGE_SETTINGS } from './image.tokens';
import { ImagesController } from './images/images.controller';
import { ImagesService } from './images/images.service';
import { ImageImportController } from './import/image-import.controller';
import { ImageImportService } from './import/image-import.service';
import { ImportMethods } from './import/import-methods';
import { StagingArea } from './import/staging-area';
import { InfoController } from './info.controller';
import { MembersController } from './members/members.controller';
import { MembersService } from './members/members.service';
import { PATCH_MEDIA_TYPES } from './schemas/image-properties';
import { SchemasController } from './schemas/schemas.controller';
import { VersionsController } from './versions.controller';

export interface ImageModuleOptions {
  common: CommonSettings;
  settings: ImageSettings;
  dataSource: DataSource;
  stores: ImageStores;
}

/** The Glance v2 API: images, their data in the configured stores, members, schemas. */
@Module({})
export class ImageModule implements NestModule {
  static forRoot(options: ImageModuleOptions): DynamicModule {
    const { common, settings } = options;
    return {
      module: ImageModule,
      imports: [
        TypeOrmModule.forRootAsync({ name: 'image', useFactory: () => ({ type: 'postgres', name: 'image' }), dataSourceFactory: async () => options.dataSource }),
        TypeOrmModule.forFeature(IMAGE_ENTITIES, 'image'),
        BusModule.forRoot({ url: common.transportUrl }),
        remoteAuthModule({ common, service: 'image', serviceUserName: settings.serviceUserName, servicePassword: settings.servicePassword, policyDefaults: IMAGE_POLICY }),
      ],
      controllers: [VersionsController, ImagesController, ImageDataController, ImageImportController, MembersController, SchemasController, InfoController],
      providers: [
        { provide: IMAGE_SETTINGS, useValue: settings },
        { provide: ImageStores, useValue: options.stores },
        { provide: StagingArea, useValue: new StagingArea(settings.staging.directory ?? join(common.dataDir, 'image', 'staging')) },
        ImagesService,
        ImageActivation,
        ImageDataService,
        ImportMethods,
        ImageImportService,
        MembersService,
      ],
    };
  }

  /** JSON-patch bodies have their own media type, which the JSON parser does not take by default. */
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(express.json({ limit: '1mb', strict: false, type: [...PATCH_MEDIA_TYPES] })).forRoutes({ path: 'v2/images/*path', method: RequestMethod.PATCH });
  }
}
