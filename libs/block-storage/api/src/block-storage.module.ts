import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { BLOCK_STORAGE_ENTITIES } from '@overcast/block-storage/data-access';
import { remoteAuthModule } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import { type DataSource } from 'typeorm';
import { AgentCommands } from './agents/agent-commands';
import { OperationOutcomes } from './agents/operation-outcomes';
import { VolumeAgents } from './agents/volume-agents';
import { AttachmentsController } from './attachments/attachments.controller';
import { AttachmentsService } from './attachments/attachments.service';
import { type BlockStorageSettings } from './block-storage.config';
import { BLOCK_STORAGE_POLICY } from './block-storage.policy';
import { BLOCK_STORAGE_SETTINGS, SCHEDULER_HOST } from './block-storage.tokens';
import { metadataController } from './common/metadata.controller';
import { MicroversionInterceptor } from './common/microversion';
import { TrailingSlashMiddleware } from './common/trailing-slash.middleware';
import { ImageClient } from './images/image-client';
import { MessagesService } from './messages/messages.service';
import { QuotasService } from './quotas/quotas.service';
import { RESOURCE_CONTROLLERS, RESOURCE_PROVIDERS } from './resources.parts';
import { BackendsService } from './scheduler/backends.service';
import { SnapshotsController } from './snapshots/snapshots.controller';
import { SnapshotsService } from './snapshots/snapshots.service';
import { VolumeTypesService } from './types/volume-types.service';
import { VersionsController } from './versions.controller';
import { VolumeActionsController } from './volumes/volume-actions.controller';
import { VolumeActionsService } from './volumes/volume-actions.service';
import { VolumesController } from './volumes/volumes.controller';
import { VolumesService } from './volumes/volumes.service';

export interface BlockStorageModuleOptions {
  common: CommonSettings;
  settings: BlockStorageSettings;
  dataSource: DataSource;
}

/** The Cinder v3 API, its scheduler, and the server side of the volume agents' protocol. */
@Module({})
export class BlockStorageModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(TrailingSlashMiddleware).forRoutes('*');
  }

  static forRoot(options: BlockStorageModuleOptions): DynamicModule {
    const { common, settings } = options;
    return {
      module: BlockStorageModule,
      imports: [
        TypeOrmModule.forRootAsync({ name: 'block-storage', useFactory: () => ({ type: 'postgres', name: 'block-storage' }), dataSourceFactory: async () => options.dataSource }),
        TypeOrmModule.forFeature(BLOCK_STORAGE_ENTITIES, 'block-storage'),
        BusModule.forRoot({ url: common.transportUrl }),
        remoteAuthModule({ common, service: 'block-storage', serviceUserName: settings.serviceUserName, servicePassword: settings.servicePassword, policyDefaults: BLOCK_STORAGE_POLICY }),
      ],
      // Actions and fixed sub-paths come before the routes that would take them for an id.
      controllers: [
        VersionsController,
        VolumeActionsController,
        VolumesController,
        metadataController('volumes', VolumesService),
        SnapshotsController,
        metadataController('snapshots', SnapshotsService),
        AttachmentsController,
        ...RESOURCE_CONTROLLERS,
      ],
      providers: [
        { provide: BLOCK_STORAGE_SETTINGS, useValue: settings },
        { provide: SCHEDULER_HOST, useValue: common.host },
        { provide: APP_INTERCEPTOR, useClass: MicroversionInterceptor },
        BackendsService,
        VolumeTypesService,
        QuotasService,
        MessagesService,
        ImageClient,
        AgentCommands,
        VolumeAgents,
        OperationOutcomes,
        VolumesService,
        VolumeActionsService,
        SnapshotsService,
        AttachmentsService,
        ...RESOURCE_PROVIDERS,
      ],
    };
  }
}
