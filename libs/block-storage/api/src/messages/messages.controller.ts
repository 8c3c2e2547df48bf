import { Controller, Delete, Get, HttpCode, Param, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound } from '@overcast/shared/core';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { ProjectUrl } from '../common/project-url';
import { MessagesService } from './messages.service';

/** `/v3/{project_id}/messages` (3.3): below it the resource does not exist, as Cinder's version routing answers. */
@Controller('v3/:projectId/messages')
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly policy: PolicyService,
  ) {}

  private caller(auth: AuthContext, projectId: string, version: ApiVersion): Caller {
    if (!version.atLeast('3.3')) {
      throw notFound('The resource could not be found.');
    }
    return new Caller(auth, this.policy, projectId);
  }

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @ProjectUrl() url: string, @Microversion() version: ApiVersion) {
    // Filters, sorting and paging came with 3.5.
    return this.messages.list(this.caller(auth, projectId, version), version.atLeast('3.5') ? query : {}, url);
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @ProjectUrl() url: string, @Microversion() version: ApiVersion) {
    return { message: await this.messages.show(this.caller(auth, projectId, version), id, url) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Microversion() version: ApiVersion): Promise<void> {
    await this.messages.delete(this.caller(auth, projectId, version), id);
  }
}
