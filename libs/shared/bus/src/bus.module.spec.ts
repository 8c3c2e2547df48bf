import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { randomUUID } from 'node:crypto';
import { BusUnavailableError } from './bus.errors';
import { BusModule } from './bus.module';
import { MessageBus } from './message-bus';

@Injectable()
class ServersService {
  constructor(readonly bus: MessageBus) {}
}

@Module({ providers: [ServersService] })
class ServersModule {}

describe('BusModule', () => {
  it('provides one MessageBus to every module and closes it on shutdown', async () => {
    @Module({ imports: [BusModule.forRoot({ url: `memory://${randomUUID()}` }), ServersModule] })
    class AppModule {}
    const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
    const bus = app.get(MessageBus);

    expect(bus).toBeInstanceOf(MessageBus);
    expect(app.get(ServersService).bus).toBe(bus);

    await app.close();
    await expect(bus.cast('compute', 'compute.servers.boot', {})).rejects.toBeInstanceOf(BusUnavailableError);
  });
});
