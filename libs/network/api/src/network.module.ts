import { type DynamicModule, Module } from '@nestjs/common';
import { remoteAuthModule } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import { type NetworkSettings } from './network.config';
import { VersionsController } from './versions.controller';

/** So far: version discovery, behind the same token validation every resource will use. */
@Module({})
export class NetworkModule {
  static forRoot(common: CommonSettings, settings: NetworkSettings): DynamicModule {
    return {
      module: NetworkModule,
      imports: [
        BusModule.forRoot({ url: common.transportUrl }),
        remoteAuthModule({ common, service: 'network', serviceUserName: settings.serviceUserName, servicePassword: settings.servicePassword, policyDefaults: {} }),
      ],
      controllers: [VersionsController],
    };
  }
}
