import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type AllocationPool, SubnetEntity, SubnetPoolEntity } from '@overcast/network/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { isUniqueViolation } from '@overcast/shared/db';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { z } from 'zod';
import { isUuid } from '../common/access';
import { ChangeFeed } from '../common/changes';
import { type Caller } from '../common/caller';
import { type ResourceService } from '../common/crud-controller';
import { cidrOf, formatCidr } from '../common/ip-math';
import { listPage, type ListPage } from '../common/neutron-list';
import { integerInput, invalidOperation, resourceBody } from '../common/request-body';
import { newStandardAttributes, touch } from '../common/standard-view';
import { type NetworkSettings } from '../network.config';
import { NETWORK_SETTINGS } from '../network.tokens';
import { QuotasService } from '../quotas/quotas.service';
import { checkCidr } from '../subnets/subnet-plan';
import { allocatePrefix, isFree, subtractPrefixes } from './prefix-allocation';
import { checkPrefixesKept, planSubnetPool, type SubnetPoolPlan } from './subnetpool-plan';
import { SUBNETPOOL_SORT_KEYS, subnetPoolView } from './subnetpool-view';

export const prefixLengthInput = () => integerInput().refine((value) => value >= 0, 'the prefix length should be non-negative');

const poolFields = {
  name: z.string().max(255).optional(),
  description: z.string().max(255).optional(),
  prefixes: z.array(z.string()).optional(),
  default_prefixlen: prefixLengthInput().optional(),
  min_prefixlen: prefixLengthInput().optional(),
  max_prefixlen: prefixLengthInput().optional(),
  is_default: z.boolean().optional(),
  // Address scopes and per-project prefix quotas are not implemented: only "unset" is accepted.
  address_scope_id: z.null().optional(),
  default_quota: z.null().optional(),
};
const createPool = z.object({
  ...poolFields,
  prefixes: z.array(z.string()),
  shared: z.boolean().optional(),
  tenant_id: z.string().max(255).optional(),
  project_id: z.string().max(255).optional(),
});
const updatePool = z.object(poolFields);

/** What a new subnet asks of the addressing: a CIDR of its own, or one from a pool. */
export interface SubnetCidrRequest {
  subnetpoolId: string | null;
  ipVersion: 4 | 6;
  cidr?: string;
  /** The length of the prefix to allocate; the pool's default_prefixlen if not given. */
  prefixlen?: number;
  allocationPools?: AllocationPool[];
}

const subnetPoolNotFound = (id: string) => notFound(`Subnet pool ${id} could not be found.`, 'SubnetPoolNotFound');
/** Neutron's exc.BadRequest(resource='subnets'), as the subnet create reports a wrong pool request. */
const badSubnetsRequest = (reason: string) => badRequest(`Bad subnets request: ${reason}.`, 'BadRequest');
// Neutron leaves SubnetAllocationError unmapped (a 500); a full pool is the caller's conflict, a 409.
const allocationError = (reason: string) => conflict(`Failed to allocate subnet: ${reason}.`, 'SubnetAllocationError');

const poolColumns = (plan: SubnetPoolPlan) => ({
  ipVersion: plan.ipVersion,
  prefixes: plan.prefixes.map(formatCidr),
  minPrefixlen: plan.minPrefixlen,
  maxPrefixlen: plan.maxPrefixlen,
  defaultPrefixlen: plan.defaultPrefixlen,
});

/** A pool the caller may see: their own or a shared one (any, for an admin); anything else is a 404. */
async function visibleSubnetPool(manager: EntityManager, caller: Caller, id: string, options: { lock?: boolean } = {}): Promise<SubnetPoolEntity> {
  const pool = isUuid(id) ? await manager.findOne(SubnetPoolEntity, { where: { id }, ...(options.lock ? { lock: { mode: 'pessimistic_write' as const } } : {}) }) : null;
  if (!pool || !(caller.owns(pool) || pool.shared)) {
    throw subnetPoolNotFound(id);
  }
  return pool;
}

/** `/v2.0/subnetpools` (Neutron's subnet_allocation), and the allocation of subnets' CIDRs from the pools. */
@Injectable()
export class SubnetPoolsService implements ResourceService {
  constructor(
    @InjectDataSource('network') private readonly dataSource: DataSource,
    @Inject(NETWORK_SETTINGS) private readonly settings: NetworkSettings,
    private readonly quotas: QuotasService,
    private readonly changes: ChangeFeed,
  ) {}

  async list(caller: Caller, query: Record<string, unknown>, url: string): Promise<ListPage> {
    const pools = caller.isAdmin
      ? await this.dataSource.manager.find(SubnetPoolEntity)
      : await this.dataSource.manager.find(SubnetPoolEntity, { where: [{ projectId: caller.projectId }, { shared: true }] });
    return listPage(pools.map(subnetPoolView), query, { url, maxLimit: this.settings.maxPageSize, sortable: SUBNETPOOL_SORT_KEYS });
  }

  async show(caller: Caller, id: string) {
    return subnetPoolView(await visibleSubnetPool(this.dataSource.manager, caller, id));
  }

  async create(caller: Caller, body: unknown) {
    const input = resourceBody(body, 'subnetpool', createPool);
    const projectId = caller.ownerFor(input);
    // Neutron's create_subnetpool:shared and :is_default are the cloud admin's.
    if (input.shared || input.is_default) {
      caller.enforce('context_is_admin');
    }
    const plan = planSubnetPool({ prefixes: input.prefixes, minPrefixlen: input.min_prefixlen, maxPrefixlen: input.max_prefixlen, defaultPrefixlen: input.default_prefixlen });
    const pool = await this.transaction(async (manager) => {
      caller.enforce('write', projectId);
      await this.quotas.check(manager, projectId, 'subnetpool');
      return manager.save(
        manager.create(SubnetPoolEntity, {
          id: randomUUID(),
          ...newStandardAttributes(projectId, input.description),
          name: input.name ?? '',
          ...poolColumns(plan),
          shared: input.shared ?? false,
          isDefault: input.is_default ?? false,
        }),
      );
    });
    const view = subnetPoolView(pool);
    await this.changes.committed([{ resource: 'subnetpool', action: 'create', view }], { wiring: false });
    return view;
  }

  async update(caller: Caller, id: string, body: unknown) {
    const input = resourceBody(body, 'subnetpool', updatePool);
    if (input.is_default !== undefined) {
      caller.enforce('context_is_admin');
    }
    const pool = await this.transaction(async (manager) => {
      const current = await visibleSubnetPool(manager, caller, id, { lock: true });
      caller.enforce('write', current.projectId);
      const plan = planSubnetPool({
        prefixes: input.prefixes ?? current.prefixes,
        minPrefixlen: input.min_prefixlen ?? current.minPrefixlen,
        maxPrefixlen: input.max_prefixlen ?? current.maxPrefixlen,
        defaultPrefixlen: input.default_prefixlen ?? current.defaultPrefixlen,
      });
      checkPrefixesKept({ ipVersion: current.ipVersion, prefixes: current.prefixes.map(cidrOf) }, plan);
      Object.assign(current, {
        name: input.name ?? current.name,
        description: input.description ?? current.description,
        ...poolColumns(plan),
        isDefault: input.is_default ?? current.isDefault,
      });
      return manager.save(touch(current));
    });
    const view = subnetPoolView(pool);
    await this.changes.committed([{ resource: 'subnetpool', action: 'update', view }], { wiring: false });
    return view;
  }

  async delete(caller: Caller, id: string): Promise<void> {
    const pool = await this.dataSource.transaction(async (manager) => {
      const found = await visibleSubnetPool(manager, caller, id, { lock: true });
      caller.enforce('write', found.projectId);
      if (await manager.existsBy(SubnetEntity, { subnetpoolId: id })) {
        throw badRequest('Unable to delete subnet pool: Subnet pool has existing allocations.', 'SubnetPoolDeleteError');
      }
      await manager.delete(SubnetPoolEntity, { id });
      return found;
    });
    await this.changes.committed([{ resource: 'subnetpool', action: 'delete', view: subnetPoolView(pool) }], { wiring: false });
  }

  /**
   * The CIDR a new subnet gets, inside the subnet's own transaction: the one it names, checked against
   * its pool if it has one, or a prefix allocated from the pool. The pool row stays locked until the
   * subnet is written, so allocations from one pool take turns and never overlap.
   */
  async cidrFor(manager: EntityManager, caller: Caller, request: SubnetCidrRequest): Promise<string> {
    if (request.subnetpoolId === null) {
      if (request.cidr === undefined) {
        throw invalidOperation('a subnetpool must be specified in the absence of a cidr');
      }
      return request.cidr;
    }
    const pool = await visibleSubnetPool(manager, caller, request.subnetpoolId, { lock: true });
    if (pool.ipVersion !== request.ipVersion) {
      throw badSubnetsRequest(`Cannot allocate IPv${request.ipVersion} subnet from IPv${pool.ipVersion} subnet pool`);
    }
    const allocated = await manager.find(SubnetEntity, { select: { cidr: true }, where: { subnetpoolId: pool.id } });
    const free = subtractPrefixes(
      pool.ipVersion,
      pool.prefixes.map(cidrOf),
      allocated.map((subnet) => cidrOf(subnet.cidr)),
    );
    if (request.cidr !== undefined) {
      const cidr = checkCidr(request.cidr, request.ipVersion);
      checkPrefixlen(pool, cidr.prefix);
      if (!isFree(free, cidr)) {
        throw allocationError('Cannot allocate requested subnet from the available set of prefixes');
      }
      return formatCidr(cidr);
    }
    if (request.allocationPools !== undefined) {
      throw badSubnetsRequest('allocation_pools allowed only for specific subnet requests');
    }
    const prefixlen = request.prefixlen ?? pool.defaultPrefixlen;
    checkPrefixlen(pool, prefixlen);
    const cidr = allocatePrefix(free, prefixlen);
    if (!cidr) {
      throw allocationError(`Insufficient prefix space to allocate subnet size /${prefixlen}`);
    }
    return formatCidr(cidr);
  }

  /** A transaction in which a second default pool of a family (the unique index) is Neutron's refusal. */
  private async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    try {
      return await this.dataSource.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw invalidOperation('A default subnetpool for this IP family has already been set. Only one default may exist per IP family');
      }
      throw error;
    }
  }
}

/** The pool's bounds on what it hands out (Neutron's Min/MaxPrefixSubnetAllocationError). */
function checkPrefixlen(pool: SubnetPoolEntity, prefixlen: number): void {
  if (prefixlen > pool.maxPrefixlen) {
    throw badRequest(`Unable to allocate subnet with prefix length ${prefixlen}, maximum allowed prefix is ${pool.maxPrefixlen}.`, 'MaxPrefixSubnetAllocationError');
  }
  if (prefixlen < pool.minPrefixlen) {
    throw badRequest(`Unable to allocate subnet with prefix length ${prefixlen}, minimum allowed prefix is ${pool.minPrefixlen}.`, 'MinPrefixSubnetAllocationError');
  }
}
