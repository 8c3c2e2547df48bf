import { type DynamicModule, type MiddlewareConsumer, Module, type NestModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule, type RevocationFeed } from '@overcast/shared/auth';
import { BusModule } from '@overcast/shared/bus';
import { type CommonSettings } from '@overcast/shared/core';
import { IDENTITY_ENTITIES } from '@overcast/identity/data-access';
import { type DataSource } from 'typeorm';
import { CatalogService } from './catalog/catalog.service';
import { CollectionService } from './common/collection.service';
import { LookupService } from './common/lookup.service';
import { RejectNulMiddleware } from './common/reject-nul.middleware';
import { ScopeTargetService } from './common/scope-target.service';
import { type IdentitySettings } from './identity.config';
import { IDENTITY_POLICY } from './identity.policy';
import { IDENTITY_SETTINGS } from './identity.tokens';
import { KeyStore } from './keys/key-store';
import { KeysController } from './keys/keys.controller';
import { ApplicationCredentialsController } from './resources/application-credentials/application-credentials.controller';
import { EndpointsController } from './resources/catalog/endpoints.controller';
import { RegionsController } from './resources/catalog/regions.controller';
import { ServicesController } from './resources/catalog/services.controller';
import { DomainsController } from './resources/domains/domains.controller';
import { GrantService } from './resources/grants/grant.service';
import { GrantsController } from './resources/grants/grants.controller';
import { RoleAssignmentsController } from './resources/grants/role-assignments.controller';
import { GroupsController } from './resources/groups/groups.controller';
import { ProjectsController } from './resources/projects/projects.controller';
import { RolesController } from './resources/roles/roles.controller';
import { UsersController } from './resources/users/users.controller';
import { RevocationService } from './revocations/revocation.service';
import { RevocationsController } from './revocations/revocations.controller';
import { RoleResolver } from './roles/role-resolver.service';
import { AuthInfoController } from './tokens/auth-info.controller';
import { TokenService } from './tokens/token.service';
import { TokensController } from './tokens/tokens.controller';
import { VersionsController } from './versions/versions.controller';

export interface IdentityModuleOptions {
  common: CommonSettings;
  settings: IdentitySettings;
  dataSource: DataSource;
  keys: KeyStore;
  /** Revocations already recorded, so tokens revoked before a restart stay revoked. */
  revocations: RevocationFeed;
}

/** The Keystone v3 API. */
@Module({})
export class IdentityModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(RejectNulMiddleware).forRoutes('{*path}');
  }

  static forRoot(options: IdentityModuleOptions): DynamicModule {
    return {
      module: IdentityModule,
      imports: [
        TypeOrmModule.forRootAsync({ name: 'identity', useFactory: () => ({ type: 'postgres', name: 'identity' }), dataSourceFactory: async () => options.dataSource }),
        TypeOrmModule.forFeature(IDENTITY_ENTITIES, 'identity'),
        BusModule.forRoot({ url: options.common.transportUrl }),
        AuthModule.forRoot({
          service: 'identity',
          keys: options.keys,
          revocations: options.revocations,
          maxTokenLifetimeSeconds: options.settings.tokenExpirationSeconds,
          policyDefaults: IDENTITY_POLICY,
          policyFile: options.common.policyFile,
        }),
      ],
      controllers: [
        VersionsController,
        KeysController,
        TokensController,
        AuthInfoController,
        RevocationsController,
        DomainsController,
        ProjectsController,
        UsersController,
        GroupsController,
        RolesController,
        GrantsController,
        RoleAssignmentsController,
        RegionsController,
        ServicesController,
        EndpointsController,
        ApplicationCredentialsController,
      ],
      providers: [
        { provide: IDENTITY_SETTINGS, useValue: options.settings },
        { provide: KeyStore, useValue: options.keys },
        LookupService,
        RoleResolver,
        CatalogService,
        TokenService,
        RevocationService,
        GrantService,
        ScopeTargetService,
        CollectionService,
      ],
    };
  }
}
