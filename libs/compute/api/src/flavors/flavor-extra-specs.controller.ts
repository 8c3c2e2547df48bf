import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { Caller } from '../common/caller';
import { FlavorExtraSpecsService } from './flavor-extra-specs.service';

/** `/v2.1/flavors/{flavor_id}/os-extra-specs`; every answer is a 200, as in Nova. */
@Controller('v2.1/flavors/:flavorId/os-extra-specs')
export class FlavorExtraSpecsController {
  constructor(
    private readonly specs: FlavorExtraSpecsService,
    private readonly policy: PolicyService,
  ) {}

  @Get()
  list(@CurrentAuth() auth: AuthContext, @Param('flavorId') flavorId: string) {
    return this.specs.list(new Caller(auth, this.policy), flavorId);
  }

  @Post()
  @HttpCode(200)
  create(@CurrentAuth() auth: AuthContext, @Param('flavorId') flavorId: string, @Body() body: unknown) {
    return this.specs.create(new Caller(auth, this.policy), flavorId, body);
  }

  @Get(':key')
  show(@CurrentAuth() auth: AuthContext, @Param('flavorId') flavorId: string, @Param('key') key: string) {
    return this.specs.show(new Caller(auth, this.policy), flavorId, key);
  }

  @Put(':key')
  update(@CurrentAuth() auth: AuthContext, @Param('flavorId') flavorId: string, @Param('key') key: string, @Body() body: unknown) {
    return this.specs.update(new Caller(auth, this.policy), flavorId, key, body);
  }

  @Delete(':key')
  async delete(@CurrentAuth() auth: AuthContext, @Param('flavorId') flavorId: string, @Param('key') key: string): Promise<void> {
    await this.specs.delete(new Caller(auth, this.policy), flavorId, key);
  }
}
