import { Injectable } from '@nestjs/common';
import { notFound } from '@overcast/shared/core';
import { type Caller } from '../common/caller';
import { extraSpecItemBody, extraSpecsBody } from './flavor-input';
import { FlavorsRepository } from './flavors.repository';
import { flavorNotFound, FlavorsService } from './flavors.service';

const RULE = 'os_compute_api:os-flavor-extra-specs';

const specNotFound = (flavorId: string, key: string) => notFound(`Flavor ${flavorId} has no extra specs with key ${key}.`);

/** A flavor's extra specs (`os-extra-specs`): read by those who see the flavor, written by admins. */
@Injectable()
export class FlavorExtraSpecsService {
  constructor(
    private readonly flavors: FlavorsService,
    private readonly repository: FlavorsRepository,
  ) {}

  async list(caller: Caller, flavorId: string): Promise<{ extra_specs: Record<string, string> }> {
    caller.enforce(`${RULE}:index`);
    return { extra_specs: (await this.flavors.visible(caller, flavorId)).extraSpecs };
  }

  async show(caller: Caller, flavorId: string, key: string): Promise<Record<string, string>> {
    caller.enforce(`${RULE}:show`);
    const specs = (await this.flavors.visible(caller, flavorId)).extraSpecs;
    const value = specs[key];
    if (value === undefined) {
      throw specNotFound(flavorId, key);
    }
    return { [key]: value };
  }

  /** Adds to (or replaces in) the specs; answers with the specs given, as Nova does. */
  async create(caller: Caller, flavorId: string, body: unknown): Promise<{ extra_specs: Record<string, string> }> {
    const specs = extraSpecsBody(body);
    caller.enforce(`${RULE}:create`);
    await this.merge(flavorId, specs);
    return { extra_specs: specs };
  }

  async update(caller: Caller, flavorId: string, key: string, body: unknown): Promise<Record<string, string>> {
    const spec = extraSpecItemBody(body, key);
    caller.enforce(`${RULE}:update`);
    await this.merge(flavorId, spec);
    return spec;
  }

  async delete(caller: Caller, flavorId: string, key: string): Promise<void> {
    caller.enforce(`${RULE}:delete`);
    await this.flavors.visible(caller, flavorId);
    if (!(await this.repository.removeExtraSpec(flavorId, key))) {
      throw specNotFound(flavorId, key);
    }
  }

  private async merge(flavorId: string, specs: Record<string, string>): Promise<void> {
    if (!(await this.repository.mergeExtraSpecs(flavorId, specs))) {
      throw flavorNotFound(flavorId);
    }
  }
}
