import { type AgentEntity } from '@overcast/network/data-access';

const timestamp = (date: Date) => date.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '');

/** An agent as `GET /v2.0/agents/{id}` shows it (Neutron writes these times without a zone). */
export function agentView(agent: AgentEntity, alive: boolean) {
  return {
    id: agent.id,
    agent_type: agent.agentType,
    binary: agent.binary,
    topic: agent.topic,
    host: agent.host,
    admin_state_up: agent.adminStateUp,
    alive,
    availability_zone: agent.availabilityZone,
    description: agent.description,
    configurations: agent.configurations,
    created_at: timestamp(agent.createdAt),
    started_at: timestamp(agent.startedAt),
    heartbeat_timestamp: timestamp(agent.heartbeatTimestamp),
    resources_synced: null,
    ha_state: null,
  };
}
