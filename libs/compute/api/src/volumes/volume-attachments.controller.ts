import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { VolumeAttachmentsService } from './volume-attachments.service';

/** `/v2.1/servers/{id}/os-volume_attachments`. */
@Controller('v2.1/servers/:serverId/os-volume_attachments')
export class VolumeAttachmentsController {
  constructor(
    private readonly attachments: VolumeAttachmentsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string) {
    return { volumeAttachments: await this.attachments.list(new Caller(auth, this.policy), serverId) };
  }

  @Get(':volumeId')
  async show(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('volumeId') volumeId: string) {
    return { volumeAttachment: await this.attachments.show(new Caller(auth, this.policy), serverId, volumeId) };
  }

  @Post()
  @HttpCode(200)
  async attach(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Body() body: unknown) {
    return { volumeAttachment: await this.attachments.attach(new Caller(auth, this.policy), serverId, body) };
  }

  @Delete(':volumeId')
  @HttpCode(202)
  async detach(@CurrentAuth() auth: AuthContext, @Param('serverId') serverId: string, @Param('volumeId') volumeId: string): Promise<void> {
    await this.attachments.detach(new Caller(auth, this.policy), serverId, volumeId);
  }
}
