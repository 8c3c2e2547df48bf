import { type FlavorEntity } from '@overcast/compute/data-access';
import { type ApiVersion } from '../common/microversion';

/** What shapes a flavor's view: where the caller reached us, the microversion, and whether it may read extra specs (2.61). */
export interface FlavorViewContext {
  /** `<scheme>://<host>` as the caller used it. */
  baseUrl: string;
  version: ApiVersion;
  showsExtraSpecs: boolean;
}

/** Nova's `self` (versioned) and `bookmark` (unversioned) links of a flavor. */
function flavorLinks(flavor: FlavorEntity, baseUrl: string) {
  return [
    { rel: 'self', href: `${baseUrl}/v2.1/flavors/${flavor.id}` },
    { rel: 'bookmark', href: `${baseUrl}/flavors/${flavor.id}` },
  ];
}

/** The brief view of `GET /flavors`: id, name, links (and the description from 2.55). */
export function flavorSummary(flavor: FlavorEntity, context: FlavorViewContext): Record<string, unknown> {
  return {
    id: flavor.id,
    name: flavor.name,
    links: flavorLinks(flavor, context.baseUrl),
    ...(context.version.atLeast('2.55') ? { description: flavor.description } : {}),
  };
}

/** The full view, in Nova's field order: no swap is "" before 2.75, extra specs from 2.61 for those allowed to read them. */
export function flavorView(flavor: FlavorEntity, context: FlavorViewContext): Record<string, unknown> {
  return {
    id: flavor.id,
    name: flavor.name,
    ram: flavor.memoryMb,
    disk: flavor.rootGb,
    swap: flavor.swapMb === 0 && !context.version.atLeast('2.75') ? '' : flavor.swapMb,
    'OS-FLV-EXT-DATA:ephemeral': flavor.ephemeralGb,
    'OS-FLV-DISABLED:disabled': flavor.disabled,
    vcpus: flavor.vcpus,
    'os-flavor-access:is_public': flavor.isPublic,
    rxtx_factor: flavor.rxtxFactor,
    links: flavorLinks(flavor, context.baseUrl),
    ...(context.version.atLeast('2.55') ? { description: flavor.description } : {}),
    ...(context.showsExtraSpecs ? { extra_specs: flavor.extraSpecs } : {}),
  };
}
