import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { createMessageBus } from './create-message-bus';
import { MessageBus } from './message-bus';

export interface BusModuleOptions {
  /** `memory://<name>` or `amqp://user:pass@host:port/vhost`. */
  url: string;
}

/** Closes the bus once the application has shut down, after every module stopped using it. */
class BusCloser implements OnApplicationShutdown {
  constructor(@Inject(MessageBus) private readonly bus: MessageBus) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
  }
}

/** Provides the MessageBus to the whole application. */
@Global()
@Module({})
export class BusModule {
  static forRoot(options: BusModuleOptions): DynamicModule {
    return {
      module: BusModule,
      global: true,
      providers: [{ provide: MessageBus, useFactory: () => createMessageBus(options.url) }, BusCloser],
      exports: [MessageBus],
    };
  }
}
