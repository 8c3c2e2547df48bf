import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { TypeOrmModule } from '@nestjs/typeorm';
import { COMPUTE_ENTITIES } from '@overcast/compute/data-access';
import { remoteAuthModule } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import { type DataSource } from 'typeorm';
import { type ComputeSettings } from './compute.config';
import { COMPUTE_POLICY } from './compute.policy';
import { COMPUTE_SETTINGS } from './compute.tokens';
import { computeRequestId } from './common/compute-request-id';
import { MicroversionInterceptor } from './common/microversion';
import { ExtensionsController } from './extensions.controller';
import { FLAVOR_CONTROLLERS, FLAVOR_PROVIDERS } from './flavors/flavors.parts';
import { KEYPAIR_CONTROLLERS, KEYPAIR_PROVIDERS } from './keypairs/keypairs.parts';
import { OPERATOR_CONTROLLERS, OPERATOR_PROVIDERS } from './operator/operator.parts';
import { SERVER_GROUP_CONTROLLERS, SERVER_GROUP_PROVIDERS } from './server-groups/server-groups.parts';
import { RemoteConsolesController } from './servers/remote-consoles.controller';
import { SERVER_CONTROLLERS, SERVER_PROVIDERS } from './servers/servers.parts';
import { VersionsController } from './versions.controller';

export interface ComputeModuleOptions {
  common: CommonSettings;
  settings: ComputeSettings;
  dataSource: DataSource;
}

/** The Nova v2.1 API, its scheduler and build orchestration, and the server side of the compute agents' protocol. */
@Module({})
export class ComputeModule implements NestModule {
  static forRoot(options: ComputeModuleOptions): DynamicModule {
    const { common, settings } = options;
    return {
      module: ComputeModule,
      imports: [
        TypeOrmModule.forRootAsync({ name: 'compute', useFactory: () => ({ type: 'postgres', name: 'compute' }), dataSourceFactory: async () => options.dataSource }),
        TypeOrmModule.forFeature(COMPUTE_ENTITIES, 'compute'),
        BusModule.forRoot({ url: common.transportUrl }),
        remoteAuthModule({ common, service: 'compute', serviceUserName: settings.serviceUserName, servicePassword: settings.servicePassword, policyDefaults: COMPUTE_POLICY }),
      ],
      controllers: [VersionsController, ExtensionsController, ...FLAVOR_CONTROLLERS, ...KEYPAIR_CONTROLLERS, ...OPERATOR_CONTROLLERS, ...SERVER_GROUP_CONTROLLERS, ...SERVER_CONTROLLERS, RemoteConsolesController],
      providers: [{ provide: COMPUTE_SETTINGS, useValue: settings }, { provide: APP_INTERCEPTOR, useClass: MicroversionInterceptor }, ...FLAVOR_PROVIDERS, ...KEYPAIR_PROVIDERS, ...SERVER_PROVIDERS, ...OPERATOR_PROVIDERS, ...SERVER_GROUP_PROVIDERS],
    };
  }

  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(computeRequestId).forRoutes('{*path}');
  }
}
