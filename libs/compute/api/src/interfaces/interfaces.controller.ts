import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { InterfacesService } from './interfaces.service';

/** `/v2.1/servers/{server_id}/os-interface`. */
@Controller('v2.1/servers/:serverId/os-interface')
export class InterfacesController {
  constructor(
    private readonly interfaces: InterfacesService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string) {
    return { interfaceAttachments: await this.interfaces.list(new Caller(auth, this.policy), serverId) };
  }

  @Get(':portId')
  async show(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('portId') portId: string) {
    return { interfaceAttachment: await this.interfaces.show(new Caller(auth, this.policy), serverId, portId) };
  }

  /** 200 with the attachment, as Nova answers it. */
  @Post()
  @HttpCode(200)
  async attach(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Body() body: unknown) {
    return { interfaceAttachment: await this.interfaces.attach(new Caller(auth, this.policy), serverId, body) };
  }

  @Delete(':portId')
  @HttpCode(202)
  async detach(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('portId') portId: string): Promise<void> {
    await this.interfaces.detach(new Caller(auth, this.policy), serverId, portId);
  }
}
