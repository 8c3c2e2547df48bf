import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A network agent as it last reported itself (Neutron's agents table). */
@Entity('agents')
export class AgentEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('varchar', { length: 255 }) host!: string;
  @Column('varchar', { length: 255, name: 'agent_type' }) agentType!: string;
  @Column('varchar', { length: 255 }) binary!: string;
  @Column('varchar', { length: 255 }) topic!: string;
  @Column('boolean', { name: 'admin_state_up' }) adminStateUp!: boolean;
  @Column('varchar', { length: 255, name: 'availability_zone' }) availabilityZone!: string;
  @Column('varchar', { length: 255 }) description!: string;
  /** The agent's own report (driver, tunnel ip, segment types, physnets, dhcp/l3 roles). */
  @Column('jsonb') configurations!: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'started_at' }) startedAt!: Date;
  @Column('timestamptz', { name: 'heartbeat_timestamp' }) heartbeatTimestamp!: Date;
  /** The protocol version the agent speaks (its reports'); null: reported before versions were recorded (1.0). */
  @Column('varchar', { length: 16, name: 'bus_version', nullable: true }) busVersion!: string | null;
}

@Entity('quotas')
export class QuotaEntity {
  @PrimaryColumn('varchar', { length: 255, name: 'project_id' }) projectId!: string;
  @PrimaryColumn('varchar', { length: 255 }) resource!: string;
  @Column('integer') limit!: number;
}
