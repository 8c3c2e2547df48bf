import { Inject, Injectable } from '@nestjs/common';
import { type FlavorEntity } from '@overcast/compute/data-access';
import { badRequest, conflict, notFound } from '@overcast/shared/core';
import { type ComputeSettings } from '../compute.config';
import { COMPUTE_SETTINGS } from '../compute.tokens';
import { type Caller } from '../common/caller';
import { type ApiVersion } from '../common/microversion';
import { nextLinks, novaPage, type OrderKey } from '../common/nova-list';
import { type AccessAction, flavorCreateBody, flavorListQuery, flavorUpdateBody } from './flavor-input';
import { flavorSummary, flavorView, type FlavorViewContext } from './flavor-view';
import { FlavorsRepository } from './flavors.repository';

const MANAGE = 'os_compute_api:os-flavor-manage';
const EXTRA_SPECS_INDEX = 'os_compute_api:os-flavor-extra-specs:index';

export const flavorNotFound = (id: string) => notFound(`Flavor ${id} could not be found.`);

/** How a request wants its flavors shown. */
export interface FlavorRequest {
  caller: Caller;
  version: ApiVersion;
  baseUrl: string;
}

/** Flavors (Nova's `flavors` and `os-flavor-manage`): everyone reads those they may use, admins manage them. */
@Injectable()
export class FlavorsService {
  constructor(
    private readonly flavors: FlavorsRepository,
    @Inject(COMPUTE_SETTINGS) private readonly settings: ComputeSettings,
  ) {}

  /**
   * The flavor a server is built with: `flavorRef` is an id or a URL ending in one. One the
   * caller may not use is Nova's 400 for a server create, as if it did not exist.
   */
  async findForBoot(caller: Caller, flavorRef: string): Promise<FlavorEntity> {
    // Nova's get_id_from_href: the last segment of the URL's path.
    const id = flavorRef.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*/, '').split(/[?#]/)[0]?.split('/').at(-1) ?? '';
    const flavor = await this.flavors.findVisible(caller, id);
    if (flavor === null || flavor.disabled) {
      throw badRequest(`Flavor ${id} could not be found.`);
    }
    return flavor;
  }

  /** The flavor if the caller may see it; Nova's 404 otherwise, private flavors included. */
  async visible(caller: Caller, id: string): Promise<FlavorEntity> {
    const flavor = await this.flavors.findVisible(caller, id);
    if (flavor === null) {
      throw flavorNotFound(id);
    }
    return flavor;
  }

  /** `GET /flavors` (brief) and `/flavors/detail`: filtered, sorted and paged as Nova does. */
  async list(request: FlavorRequest, query: Record<string, unknown>, detail: boolean): Promise<Record<string, unknown>> {
    const { caller } = request;
    const filters = flavorListQuery(query, caller.isAdmin);
    const page = novaPage(query, this.settings.maxPageSize);
    if (page.marker !== undefined && (await this.flavors.findVisible(caller, page.marker)) === null) {
      throw badRequest(`marker [${page.marker}] not found`);
    }
    // Nova breaks ties by its internal id in the same direction; the flavor id is ours.
    const order: OrderKey[] = [...(filters.sortProperty === undefined ? [] : [{ property: filters.sortProperty, descending: filters.descending }]), { property: 'id', descending: filters.descending }];
    const flavors = await this.flavors.page(caller, { ...filters, enabledOnly: !caller.isAdmin }, order, page.marker, page.limit);
    const context = this.viewContext(request);
    const links = nextLinks(`${request.baseUrl}/v2.1/flavors${detail ? '/detail' : ''}`, query, page, flavors.map((flavor) => flavor.id));
    return {
      flavors: flavors.map((flavor) => (detail ? flavorView(flavor, context) : flavorSummary(flavor, context))),
      ...(links.length > 0 ? { flavors_links: links } : {}),
    };
  }

  async show(request: FlavorRequest, id: string): Promise<Record<string, unknown>> {
    return flavorView(await this.visible(request.caller, id), this.viewContext(request));
  }

  /** `POST /flavors`: a taken name or id is a 409. Private flavors start with no project, as in Nova. */
  async create(request: FlavorRequest, body: unknown): Promise<Record<string, unknown>> {
    // Nova validates the body before the policy.
    const input = flavorCreateBody(body, request.version);
    request.caller.enforce(`${MANAGE}:create`);
    const outcome = await this.flavors.insert(input);
    if (outcome === 'id taken') {
      throw conflict(`Flavor with ID ${input.id} already exists.`);
    }
    if (outcome === 'name taken') {
      throw conflict(`Flavor with name ${input.name} already exists.`);
    }
    return flavorView(await this.visible(request.caller, input.id), this.viewContext(request));
  }

  /** `PUT /flavors/{id}` exists from 2.55, for the description only. */
  async update(request: FlavorRequest, id: string, body: unknown): Promise<Record<string, unknown>> {
    if (!request.version.atLeast('2.55')) {
      throw notFound('The resource could not be found.');
    }
    const description = flavorUpdateBody(body);
    request.caller.enforce(`${MANAGE}:update`);
    if (!(await this.flavors.updateDescription(id, description))) {
      throw flavorNotFound(id);
    }
    return flavorView(await this.visible(request.caller, id), this.viewContext(request));
  }

  /** Servers built with the flavor keep their copy of it, as in Nova. */
  async delete(caller: Caller, id: string): Promise<void> {
    caller.enforce(`${MANAGE}:delete`);
    if (!(await this.flavors.delete(id))) {
      throw flavorNotFound(id);
    }
  }

  /** `GET /flavors/{id}/os-flavor-access`: the projects a private flavor is shared with. */
  async accessList(caller: Caller, id: string): Promise<{ flavor_access: { flavor_id: string; tenant_id: string }[] }> {
    caller.enforce('os_compute_api:os-flavor-access');
    const flavor = await this.visible(caller, id);
    if (flavor.isPublic) {
      throw notFound('Access list not available for public flavors.');
    }
    return this.accessView(id);
  }

  /** `addTenantAccess` / `removeTenantAccess`; from 2.7 a public flavor takes no access. */
  async changeAccess(request: FlavorRequest, id: string, action: AccessAction, tenant: string): Promise<{ flavor_access: { flavor_id: string; tenant_id: string }[] }> {
    const { caller } = request;
    if (action === 'addTenantAccess') {
      caller.enforce('os_compute_api:os-flavor-access:add_tenant_access');
      const flavor = await this.visible(caller, id);
      if (flavor.isPublic && request.version.atLeast('2.7')) {
        throw conflict('Can not add access to a public flavor.');
      }
      if (!(await this.flavors.addAccess(id, tenant))) {
        throw conflict(`Flavor access already exists for flavor ${id} and project ${tenant} combination.`);
      }
    } else {
      caller.enforce('os_compute_api:os-flavor-access:remove_tenant_access');
      await this.visible(caller, id);
      if (!(await this.flavors.removeAccess(id, tenant))) {
        throw notFound(`Flavor access not found for ${id} / ${tenant} combination.`);
      }
    }
    return this.accessView(id);
  }

  /** From 2.61 a flavor shows its extra specs to those who may read them. */
  private viewContext(request: FlavorRequest): FlavorViewContext {
    return { baseUrl: request.baseUrl, version: request.version, showsExtraSpecs: request.version.atLeast('2.61') && request.caller.allows(EXTRA_SPECS_INDEX) };
  }

  private async accessView(id: string) {
    return { flavor_access: (await this.flavors.projectsOf(id)).map((project) => ({ flavor_id: id, tenant_id: project })) };
  }
}
