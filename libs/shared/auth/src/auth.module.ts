import { type DynamicModule, Inject, Injectable, Logger, Module, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { MessageBus, type BusSubscription } from '@overcast/shared/bus';
import { TokenAuthGuard } from './guard/token-auth.guard';
import { POLICY_ENFORCER, REVOCATION_FEED, VERIFICATION_KEYS } from './guard/auth.tokens';
import { TOKEN_STRATEGY_NAME, TokenStrategy } from './guard/token.strategy';
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
  /** The service, e.g. `identity`: names its token strategy in passport's process-wide registry. */
  service: string;
  keys: VerificationKeys;
  revocations: RevocationFeed;
  /** Tokens live at most this long; older revocation events can be forgotten. */
  maxTokenLifetimeSeconds: number;
  policyDefaults: Record<string, string>;
  policyFile?: string;
}

/** How often the held list is merged with identity's again, catching events the bus missed while disconnected. */
const REFRESH_INTERVAL_MS = 30_000;
/** How soon to try again while identity has not answered yet (services may start before it): 100 ms, doubling up to 1 s. */
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 1_000;

/**
 * Follows identity's revocation events on the bus, and merges identity's whole list at start and
 * every 30 s after: an event published while this service's bus connection was down still applies
 * within that time. Until the first load succeeds, tokens are refused with a 503.
 */
@Injectable()
class RevocationFollower implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('RevocationFollower');
  private subscription?: BusSubscription;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private failures = 0;

  constructor(
    private readonly list: RevocationList,
    private readonly bus: MessageBus,
    @Inject(REVOCATION_FEED) private readonly feed: RevocationFeed,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // Subscribe first so nothing published while loading is missed; duplicates are harmless.
    this.subscription = await this.bus.subscribe(REVOCATION_EVENT, (event: RevocationEvent) => this.list.add(event));
    await this.refresh();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.subscription?.close();
  }

  private async refresh(): Promise<void> {
    try {
      this.list.merge(await this.feed.load());
      this.failures = 0;
    } catch (error) {
      this.failures += 1;
      this.logger.warn(`loading the revocation list failed, tokens are refused until it loads: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!this.stopped) {
      const delay = this.list.isLoaded ? REFRESH_INTERVAL_MS : Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (this.failures - 1));
      this.timer = setTimeout(() => void this.refresh(), delay);
      this.timer.unref();
    }
  }
}

/** Token validation and policy for one service: every route is authenticated unless @Public(). */
@Module({})
export class AuthModule {
  static forRoot(options: AuthModuleOptions): DynamicModule {
    const strategyName = `overcast-token:${options.service}`;
    return {
      module: AuthModule,
      imports: [PassportModule.register({ defaultStrategy: strategyName })],
      providers: [
        { provide: TOKEN_STRATEGY_NAME, useValue: strategyName },
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
