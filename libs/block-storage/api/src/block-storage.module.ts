import { type DynamicModule, Module } from '@nestjs/common';
import { remoteAuthModule } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import { type BlockStorageSettings } from './block-storage.config';
import { VersionsController } from './versions.controller';

/** So far: version discovery, behind the same token validation every resource will use. */
@Module({})
export class BlockStorageModule {
  static forRoot(common: CommonSettings, settings: BlockStorageSettings): DynamicModule {
    return {
      module: BlockStorageModule,
      imports: [
        BusModule.forRoot({ url: common.transportUrl }),
        remoteAuthModule({ common, service: 'block-storage', serviceUserName: settings.serviceUserName, servicePassword: settings.servicePassword, policyDefaults: {} }),
      ],
      controllers: [VersionsController],
    };
  }
}
