import { Body, Controller, Get, Param, Put, Query } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { notFound } from '@overcast/shared/core';
import { Caller } from '../common/caller';
import { type ApiVersion, Microversion } from '../common/microversion';
import { booleanQuery } from '../common/query';
import { EXTENSIONS } from './extensions';
import { OperatorService, SERVICE_ACTIONS } from './operator.service';

/** The deployment as Cinder shows it: availability zones, services, the scheduler's pools, the extensions served. */
@Controller('v3/:projectId')
export class OperatorController {
  constructor(
    private readonly operator: OperatorService,
    private readonly policy: PolicyService,
  ) {}

  /** Refuses, as Cinder does, a member's URL naming another project. */
  private caller(auth: AuthContext, projectId: string): Caller {
    return new Caller(auth, this.policy, projectId);
  }

  /** Any caller of the URL's project may read the zones and extensions (Cinder has no rule for them). */
  @Get('os-availability-zone')
  availabilityZones(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    this.caller(auth, projectId);
    return this.operator.availabilityZones();
  }

  @Get('os-services')
  listServices(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>, @Microversion() version: ApiVersion) {
    return this.operator.services(this.caller(auth, projectId), query, version);
  }

  @Put('os-services/:action')
  updateService(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('action') action: string, @Body() body: unknown) {
    const caller = this.caller(auth, projectId);
    const known = SERVICE_ACTIONS.find((candidate) => candidate === action);
    if (known === undefined) {
      throw notFound('The resource could not be found.');
    }
    return this.operator.changeService(caller, known, body);
  }

  @Get('scheduler-stats/get_pools')
  pools(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Query() query: Record<string, unknown>) {
    const caller = this.caller(auth, projectId);
    return this.operator.pools(caller, booleanQuery(query, 'detail'));
  }

  @Get('extensions')
  extensions(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string) {
    this.caller(auth, projectId);
    return { extensions: EXTENSIONS };
  }

  @Get('extensions/:alias')
  extension(@CurrentAuth() auth: AuthContext, @Param('projectId') projectId: string, @Param('alias') alias: string) {
    this.caller(auth, projectId);
    const extension = EXTENSIONS.find((candidate) => candidate.alias === alias);
    if (extension === undefined) {
      throw notFound('The resource could not be found.');
    }
    return { extension };
  }
}
