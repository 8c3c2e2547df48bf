import { Body, Controller, HttpCode, Param, Post, Res } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { badRequest } from '@overcast/shared/core';
import { type Response } from 'express';
import { Caller } from '../common/caller';
import { VolumeActionsService } from './volume-actions.service';
import { VolumesService } from './volumes.service';

type Handler = (caller: Caller, id: string, body: unknown) => Promise<unknown>;

/** `POST /v3/{project_id}/volumes/{id}/action`: the action is the body's only key. */
@Controller('v3/:projectId/volumes/:id/action')
export class VolumeActionsController {
  /** Each action with the status Cinder answers it with. */
  private readonly actions: Record<string, { status: number; run: Handler }>;

  constructor(
    actions: VolumeActionsService,
    volumes: VolumesService,
    private readonly policy: PolicyService,
  ) {
    this.actions = {
      'os-extend': { status: 202, run: (caller, id, body) => actions.extend(caller, id, body) },
      'os-set_bootable': { status: 200, run: (caller, id, body) => actions.setBootable(caller, id, body) },
      'os-update_readonly_flag': { status: 202, run: (caller, id, body) => actions.updateReadonly(caller, id, body) },
      'os-reset_status': { status: 202, run: (caller, id, body) => actions.resetStatus(caller, id, body) },
      'os-force_delete': { status: 202, run: (caller, id) => volumes.delete(caller, id, { cascade: false, force: true }) },
      'os-volume_upload_image': { status: 202, run: (caller, id, body) => actions.uploadToImage(caller, id, body) },
      'os-reserve': { status: 202, run: (caller, id) => actions.reserve(caller, id) },
      'os-unreserve': { status: 202, run: (caller, id) => actions.unreserve(caller, id) },
      'os-attach': { status: 202, run: (caller, id, body) => actions.attach(caller, id, body) },
      'os-begin_detaching': { status: 202, run: (caller, id) => actions.beginDetaching(caller, id) },
      'os-roll_detaching': { status: 202, run: (caller, id) => actions.rollDetaching(caller, id) },
      'os-detach': { status: 202, run: (caller, id, body) => actions.detach(caller, id, body) },
      'os-initialize_connection': { status: 200, run: (caller, id, body) => actions.initializeConnection(caller, id, body) },
      'os-terminate_connection': { status: 202, run: (caller, id, body) => actions.terminateConnection(caller, id, body) },
    };
  }

  @Post()
  @HttpCode(202)
  async act(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('id') id: string, @Body() body: unknown, @Res({ passthrough: true }) response: Response) {
    const caller = new Caller(auth, this.policy, projectId);
    const names = typeof body === 'object' && body !== null ? Object.keys(body) : [];
    const action = names.length === 1 ? this.actions[names[0] as string] : undefined;
    if (action === undefined) {
      throw badRequest(`There is no such action: ${names.join(', ') || 'none'}`);
    }
    const result = await action.run(caller, id, body);
    response.status(action.status);
    return result ?? undefined;
  }
}
