import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query, Req } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { AgentEntity } from '@overcast/network/data-access';
import { type AuthContext, CurrentAuth, PolicyService } from '@overcast/shared/auth';
import { type Request } from 'express';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { isUuid } from '../common/access';
import { Caller, resourceNotFound } from '../common/caller';
import { collectionUrl } from '../common/crud-controller';
import { listBody, listPage, selectFields } from '../common/neutron-list';
import { resourceBody } from '../common/request-body';
import { agentView } from './agent-view';
import { AgentsService } from './agents.service';

const updateAgent = z.object({ admin_state_up: z.boolean().optional(), description: z.string().max(255).optional() });

/** `/v2.0/agents`: the network agents as they report themselves (admin only). */
@Controller('v2.0/agents')
export class AgentsController {
  constructor(
    private readonly agents: AgentsService,
    private readonly policy: PolicyService,
    @InjectDataSource('network') private readonly dataSource: DataSource,
  ) {}

  @Get()
  async list(@CurrentAuth() auth: AuthContext, @Query() query: Record<string, unknown>, @Req() request: Request) {
    new Caller(auth, this.policy).enforce('agents');
    const views = (await this.agents.all()).map((agent) => agentView(agent, this.agents.isAlive(agent)));
    return listBody('agents', listPage(views, query, { url: collectionUrl(request), maxLimit: 1000, sortable: ['id', 'host', 'agent_type', 'binary'] }));
  }

  @Get(':id')
  async show(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    new Caller(auth, this.policy).enforce('agents');
    const agent = await this.find(id);
    return { agent: selectFields(agentView(agent, this.agents.isAlive(agent)), query) };
  }

  @Put(':id')
  async update(@CurrentAuth() auth: AuthContext, @Param('id') id: string, @Body() body: unknown) {
    new Caller(auth, this.policy).enforce('agents');
    const input = resourceBody(body, 'agent', updateAgent);
    const agent = await this.find(id);
    Object.assign(agent, { adminStateUp: input.admin_state_up ?? agent.adminStateUp, description: input.description ?? agent.description });
    await this.dataSource.getRepository(AgentEntity).save(agent);
    return { agent: agentView(agent, this.agents.isAlive(agent)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async delete(@CurrentAuth() auth: AuthContext, @Param('id') id: string): Promise<void> {
    new Caller(auth, this.policy).enforce('agents');
    await this.dataSource.getRepository(AgentEntity).delete({ id: (await this.find(id)).id });
  }

  private async find(id: string): Promise<AgentEntity> {
    const agent = isUuid(id) ? await this.dataSource.getRepository(AgentEntity).findOneBy({ id }) : null;
    if (!agent) {
      throw resourceNotFound('Agent', id);
    }
    return agent;
  }
}
