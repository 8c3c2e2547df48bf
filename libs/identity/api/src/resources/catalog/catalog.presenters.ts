import { type EndpointEntity, type RegionEntity, type ServiceEntity } from '@overcast/identity/data-access';
import { type Request } from 'express';
import { withSelf } from '../../common/links';

export function presentRegion(request: Request, region: RegionEntity) {
  return withSelf(request, `regions/${region.id}`, { id: region.id, description: region.description ?? '', parent_region_id: region.parentRegionId });
}

export function presentService(request: Request, service: ServiceEntity) {
  return withSelf(request, `services/${service.id}`, { ...service.extra, id: service.id, type: service.type, name: service.name, description: service.description, enabled: service.enabled });
}

export function presentEndpoint(request: Request, endpoint: EndpointEntity) {
  return withSelf(request, `endpoints/${endpoint.id}`, {
    id: endpoint.id,
    interface: endpoint.interface,
    service_id: endpoint.serviceId,
    url: endpoint.url,
    region: endpoint.regionId,
    region_id: endpoint.regionId,
    enabled: endpoint.enabled,
  });
}
