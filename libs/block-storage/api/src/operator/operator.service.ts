import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { BackendEntity } from '@overcast/block-storage/data-access';
import { badRequest, notFound } from '@overcast/shared/core';
import { DataSource, In } from 'typeorm';
import { z } from 'zod';
import { SCHEDULER_HOST } from '../block-storage.tokens';
import { bodyMember } from '../common/body';
import { type Caller } from '../common/caller';
import { type View } from '../common/cinder-list';
import { type ApiVersion } from '../common/microversion';
import { BackendsService } from '../scheduler/backends.service';
import { backendServiceView, hostMatches, poolView, SCHEDULER_BINARY, schedulerServiceView, serviceHost, VOLUME_BINARY } from './service-view';

export const SERVICE_ACTIONS = ['enable', 'disable', 'disable-log-reason'] as const;
export type ServiceAction = (typeof SERVICE_ACTIONS)[number];

const serviceSchema = z.object({
  binary: z.string().min(1, 'is too short').max(255, 'is too long').optional(),
  service: z.string().min(1, 'is too short').max(255, 'is too long').optional(),
  host: z
    .string()
    .max(255, 'is too long')
    .regex(/^[a-zA-Z0-9\-._#@:/+[\]]*$/, 'does not match the host pattern')
    .nullable()
    .optional(),
  cluster: z.string().max(255, 'is too long').nullable().optional(),
});
const disableLogReasonSchema = serviceSchema.extend({ disabled_reason: z.string().trim().min(1, 'is too short').max(255, 'is too long').optional() });

/**
 * The deployment as Cinder shows it, from the backends the volume agents report: Cinder's
 * services (the scheduler inside this process, and a `cinder-volume` service per backend, which
 * an operator disables to keep new volumes off it), the scheduler's pools, availability zones.
 */
@Injectable()
export class OperatorService {
  constructor(
    /** The host Cinder's scheduler service reports. */
    @Inject(SCHEDULER_HOST) private readonly host: string,
    @InjectDataSource('block-storage') private readonly dataSource: DataSource,
    private readonly backends: BackendsService,
  ) {}

  /** `GET /os-services`, filtered by `host` and `binary`; `cluster` from 3.7 (none here). */
  async services(caller: Caller, query: Record<string, unknown>, version: ApiVersion): Promise<unknown> {
    caller.enforce('volume_extension:services:index');
    const backends = await this.backends.all();
    const services = [schedulerServiceView(this.host, new Date()), ...backends.map((backend) => backendServiceView(backend, this.backends.isUp(backend)))];
    const host = typeof query['host'] === 'string' ? query['host'] : undefined;
    const binary = typeof query['binary'] === 'string' ? query['binary'] : undefined;
    const shown = services.filter((service) => (host === undefined || hostMatches(String(service['host']), host)) && (binary === undefined || service['binary'] === binary));
    return { services: shown.map((service) => (version.atLeast('3.7') ? { ...service, cluster: null } : service)) };
  }

  /** `PUT /os-services/{enable,disable,disable-log-reason}` on the volume services of `host` (a bare host: each of its backends). */
  async changeService(caller: Caller, action: ServiceAction, body: unknown): Promise<View> {
    caller.enforce('volume_extension:services:update');
    const input: z.infer<typeof disableLogReasonSchema> = bodyMember({ body }, 'body', action === 'disable-log-reason' ? disableLogReasonSchema : serviceSchema, { strict: true });
    const binary = input.binary ?? input.service;
    if (binary === undefined) {
      throw badRequest(`${JSON.stringify(body)} is not valid under any of the given schemas`);
    }
    if (!input.host) {
      throw badRequest('Invalid input received: Host field is missing.');
    }
    const host = input.host;
    const disabled = action !== 'enable';
    const reason = input.disabled_reason ?? null;
    const matching = binary === VOLUME_BINARY ? (await this.backends.all()).filter((backend) => hostMatches(serviceHost(backend), host)) : [];
    if (matching.length === 0) {
      if (binary === SCHEDULER_BINARY && hostMatches(this.host, host)) {
        throw badRequest('Invalid input received: the scheduler runs inside the block-storage service and cannot be disabled; disable volume services instead.');
      }
      throw notFound(`Service ${binary} could not be found on host ${host}.`);
    }
    // Enabling clears the reason too: a stale one would explain nothing.
    await this.dataSource.manager.update(BackendEntity, { id: In(matching.map((backend) => backend.id)) }, { disabled, disabledReason: reason });
    return {
      host,
      service: input.service ?? '',
      binary: input.binary ?? '',
      status: disabled ? 'disabled' : 'enabled',
      disabled,
      ...(action === 'disable-log-reason' ? { disabled_reason: reason } : {}),
    };
  }

  /** `GET /scheduler-stats/get_pools`: the pools the scheduler may place volumes on (backends up and enabled), as Cinder's host manager lists them. */
  async pools(caller: Caller, detail: boolean): Promise<unknown> {
    caller.enforce('scheduler_extension:scheduler_stats:get_pools');
    const usable = (await this.backends.all()).filter((backend) => this.backends.isUp(backend) && !backend.disabled);
    return { pools: usable.map((backend) => poolView(backend, detail)) };
  }

  /** `GET /os-availability-zone`: the zones of the reported backends; none reported, none listed, as Cinder lists no zone without volume services. */
  async availabilityZones(): Promise<unknown> {
    const zones = await this.backends.availabilityZones();
    return { availabilityZoneInfo: zones.map((zone) => ({ zoneName: zone.zoneName, zoneState: { available: zone.available } })) };
  }
}
