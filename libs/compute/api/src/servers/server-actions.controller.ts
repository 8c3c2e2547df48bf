import { Body, Controller, Param, Post, Req, Res } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { requestBaseUrl } from '@overcast/shared/core';
import { type Request, type Response } from 'express';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { ServerActionsService } from './server-actions.service';

/** `POST /v2.1/servers/{id}/action`. */
@Controller('v2.1/servers')
export class ServerActionsController {
  constructor(
    private readonly actions: ServerActionsService,
    private readonly policy: PolicyService,
  ) {}

  /** 202 with no body for most actions; 200 with the output for the console; a Location for a snapshot. */
  @Post(':id/action')
  async act(@CurrentAuth() auth: AuthContext, @Microversion() version: ApiVersion, @Req() request: Request, @Res({ passthrough: true }) response: Response, @Param('id') id: string, @Body() body: unknown) {
    const outcome = await this.actions.act(new Caller(auth, this.policy), version, id, body, requestBaseUrl(request));
    response.status(outcome.status);
    if (outcome.location !== undefined) {
      response.setHeader('Location', outcome.location);
    }
    return outcome.body;
  }
}
