import { type DynamicModule, Inject, Injectable, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { MessageBus, type BusSubscription } from '@overcast/shared/bus';
import { TokenAuthGuard } from './guard/token-auth.guard';
import { POLICY_ENFORCER, REVOCATION_FEED, VERIFICATION_KEYS } from './guard/auth.tokens';
import { TokenStrategy } from './guard/token.strategy';
import { PolicyEnforcer } from './policy';
import { PolicyService } from './policy.service';
import { type RevocationEvent } from './revocation/revocation-event';
import { RevocationList } from './revocation/revocation-list';
import { type VerificationKeys } from './tokens/verification-keys';

/** Identity publishes every revocation under this event name. */
export const REVOCATION_EVENT = 'identity.revocation.created';

/** Where a service gets the revocation events that exist when it starts. */
export interface RevocationFeed {
  load(): Promise<RevocationEvent[]>;
}

export interface AuthModuleOptions {
  keys: VerificationKeys;
  revocations: RevocationFeed;
  /** Tokens live at most this long; older revocation events can be forgotten. */
  maxTokenLifetimeSeconds: number;
  policyDefaults: Record<string, string>;
  policyFile?: string;
}

/** Loads the revocation events at start, then follows identity's events on the bus. */
@Injectable()
class RevocationFollower implements OnApplicationBootstrap, OnModuleDestroy {
  private subscription?: BusSubscription;

  constructor(
    private readonly list: RevocationList,
    private readonly bus: MessageBus,
    @Inject(REVOCATION_FEED) private readonly feed: RevocationFeed,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Subscribe first so nothing published while loading is missed; duplicates are harmless.
    this.subscription = await this.bus.subscribe(REVOCATION_EVENT, (event: RevocationEvent) => this.list.add(event));
    for (const event of await this.feed.load()) {
      this.list.add(event);
    }
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }
}

/** Token validation and policy for one service: every route is authenticated unless @Public(). */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    return {
      module: AuthModule,
      imports: [PassportModule],
      providers: [
        { provide: VERIFICATION_KEYS, useValue: options.keys },
        { provide: REVOCATION_FEED, useValue: options.revocations },
        { provide: RevocationList, useValue: new RevocationList(options.maxTokenLifetimeSeconds) },
        { provide: POLICY_ENFORCER, useValue: PolicyEnforcer.fromFile(options.policyDefaults, options.policyFile) },
        TokenStrategy,
        PolicyService,
        RevocationFollower,
        { provide: APP_GUARD, useClass: TokenAuthGuard },
      ],
      exports: [PolicyService, RevocationList],
    };
  }
}
