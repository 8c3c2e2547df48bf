import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EndpointEntity, ServiceEntity } from '@overcast/identity/data-access';
import { Repository } from 'typeorm';

export interface CatalogEntry {
  id: string;
  type: string;
  name: string;
  endpoints: { id: string; interface: string; region: string | null; region_id: string | null; url: string }[];
}

/** The service catalog as tokens carry it: enabled services with their enabled endpoints. */
@Injectable()
export class CatalogService {
  /** The catalog rarely changes and is read on every token issue and validation. */
  private cached?: { at: number; catalog: Promise<CatalogEntry[]> };
  private static readonly TTL_MS = 5000;

  constructor(
    @InjectRepository(ServiceEntity, 'identity') private readonly services: Repository<ServiceEntity>,
    @InjectRepository(EndpointEntity, 'identity') private readonly endpoints: Repository<EndpointEntity>,
  ) {}

  catalog(): Promise<CatalogEntry[]> {
    if (!this.cached || Date.now() - this.cached.at > CatalogService.TTL_MS) {
      const catalog = this.load();
      this.cached = { at: Date.now(), catalog };
      catalog.catch(() => (this.cached = undefined));
    }
    return this.cached.catalog;
  }

  /** Called after any change to services, endpoints or regions. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async load(): Promise<CatalogEntry[]> {
    const [services, endpoints] = await Promise.all([this.services.findBy({ enabled: true }), this.endpoints.findBy({ enabled: true })]);
    return services.map((service) => ({
      id: service.id,
      type: service.type,
      name: service.name ?? '',
      endpoints: endpoints
        .filter((endpoint) => endpoint.serviceId === service.id)
        .map((endpoint) => ({ id: endpoint.id, interface: endpoint.interface, region: endpoint.regionId, region_id: endpoint.regionId, url: endpoint.url })),
    }));
  }
}
