import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { InstanceEntity, type VmState } from '@overcast/compute/data-access';
import { badRequest, conflict, notFound, parseInput } from '@overcast/shared/core';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { type Caller } from '../common/caller';
import { QuotasService } from '../quotas/quotas.service';
import { ServersService } from './servers.service';

const metadata = z.record(z.string().min(1).max(255), z.string().max(255));
const metadataBody = z.strictObject({ metadata });
const itemBody = z.strictObject({ meta: metadata });

/** The states Nova lets a server's metadata change in (`check_instance_state`), with no task running. */
const CHANGEABLE_IN: VmState[] = ['active', 'paused', 'suspended', 'stopped'];

const itemNotFound = () => notFound('Metadata item was not found');

/** A server's metadata (`/servers/{id}/metadata`): read by its project's readers, changed by its members, within the metadata_items quota. */
@Injectable()
export class ServerMetadataService {
  constructor(
    @InjectDataSource('compute') private readonly dataSource: DataSource,
    private readonly servers: ServersService,
    private readonly quotas: QuotasService,
  ) {}

  async list(caller: Caller, serverId: string): Promise<Record<string, string>> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce('os_compute_api:server-metadata:index', { project_id: instance.projectId });
    return instance.metadata;
  }

  async show(caller: Caller, serverId: string, key: string): Promise<Record<string, string>> {
    const instance = await this.servers.visible(caller, serverId);
    caller.enforce('os_compute_api:server-metadata:show', { project_id: instance.projectId });
    const value = instance.metadata[key];
    if (value === undefined) {
      throw itemNotFound();
    }
    return { [key]: value };
  }

  /** `POST` merges the items into the metadata; `PUT` (`replace`) makes them all of it. */
  async set(caller: Caller, serverId: string, body: unknown, replace: boolean): Promise<Record<string, string>> {
    const items = parseInput(metadataBody, body).metadata;
    return this.change(caller, serverId, replace ? 'update_all' : 'create', (current) => (replace ? items : { ...current, ...items }));
  }

  /** `PUT /metadata/{key}`: one item, named as in the URL. */
  async setItem(caller: Caller, serverId: string, key: string, body: unknown): Promise<Record<string, string>> {
    const items = parseInput(itemBody, body).meta;
    const keys = Object.keys(items);
    if (keys.length > 1) {
      throw badRequest('Request body contains too many items');
    }
    if (keys[0] !== key) {
      throw badRequest('Request body and URI mismatch');
    }
    await this.change(caller, serverId, 'update', (current) => ({ ...current, ...items }));
    return items;
  }

  async deleteItem(caller: Caller, serverId: string, key: string): Promise<void> {
    await this.change(caller, serverId, 'delete', (current) => {
      if (!(key in current)) {
        throw itemNotFound();
      }
      return Object.fromEntries(Object.entries(current).filter(([existing]) => existing !== key));
    });
  }

  /** Applies `next` to the metadata under a row lock, so concurrent changes do not lose each other's items. */
  private async change(caller: Caller, serverId: string, rule: string, next: (current: Record<string, string>) => Record<string, string>): Promise<Record<string, string>> {
    const visible = await this.servers.visible(caller, serverId);
    caller.enforce(`os_compute_api:server-metadata:${rule}`, { project_id: visible.projectId });
    const checkQuota = await this.quotas.metadataLimit(visible.projectId);
    return this.dataSource.transaction(async (manager) => {
      const instance = await manager.findOne(InstanceEntity, { where: { id: visible.id }, lock: { mode: 'pessimistic_write' } });
      if (!instance || instance.deletedAt !== null) {
        throw notFound(`Instance ${serverId} could not be found.`);
      }
      if (instance.locked && !caller.isAdmin) {
        throw conflict(`Instance ${instance.id} is locked`);
      }
      if (!CHANGEABLE_IN.includes(instance.vmState) || instance.taskState !== null) {
        throw conflict(`Cannot 'update metadata' instance ${instance.id} while it is in vm_state ${instance.vmState}`);
      }
      const metadataNext = next(instance.metadata);
      checkQuota(Object.keys(metadataNext).length);
      await manager.update(InstanceEntity, { id: instance.id }, { metadata: metadataNext, updatedAt: new Date() });
      return metadataNext;
    });
  }
}
