import { type DynamicModule, Module } from '@nestjs/common';
import { remoteAuthModule } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import { type ComputeSettings } from './compute.config';
import { ExtensionsController } from './extensions.controller';
import { VersionsController } from './versions.controller';

const COMPUTE_POLICY = { 'os_compute_api:extensions': '' };

/** The Nova v2.1 API (so far: version discovery and the extension list). */
@Module({})
export class ComputeModule {
  static forRoot(common: CommonSettings, settings: ComputeSettings): DynamicModule {
    return {
      module: ComputeModule,
      imports: [
        BusModule.forRoot({ url: common.transportUrl }),
        remoteAuthModule({ common, service: 'compute', serviceUserName: settings.serviceUserName, servicePassword: settings.servicePassword, policyDefaults: COMPUTE_POLICY }),
      ],
      controllers: [VersionsController, ExtensionsController],
    };
  }
}
