import { type GlanceImage } from '../clients/image-client';
import { resourceLinks } from '../common/links';

/** Glance's own attributes; every other one is a property, which Nova shows as the image's `metadata`. */
const GLANCE_ATTRIBUTES = new Set([
  'id', 'name', 'status', 'visibility', 'protected', 'checksum', 'owner', 'size', 'virtual_size', 'min_ram', 'min_disk', 'created_at', 'updated_at', 'deleted_at',
  'disk_format', 'container_format', 'tags', 'locations', 'direct_url', 'self', 'file', 'schema', 'os_hidden', 'os_hash_algo', 'os_hash_value', 'stores',
]);

/** Nova's image status from Glance's (nova/api/openstack/compute/views/images.py). */
const STATUS: Record<string, string> = { active: 'ACTIVE', queued: 'SAVING', saving: 'SAVING', importing: 'SAVING', deleted: 'DELETED', pending_delete: 'DELETED', killed: 'ERROR' };
const PROGRESS: Record<string, number> = { queued: 25, saving: 50, active: 100 };


/** Nova's timestamps: to the second, with `Z`. */
const novaDate = (value: unknown) => (typeof value === 'string' ? `${value.slice(0, 19)}Z` : null);

/** An image as `GET /images` lists it. */
export function imageSummary(image: GlanceImage, baseUrl: string): Record<string, unknown> {
  return { id: image.id, name: image.name, links: resourceLinks(baseUrl, 'images', image.id) };
}

/** An image as Nova's image API shows it (`GET /images/{id}`, `/images/detail`), until 2.35 deprecated the proxy. */
export function imageView(image: GlanceImage, baseUrl: string): Record<string, unknown> {
  const metadata = Object.fromEntries(Object.entries(image).filter(([key]) => !GLANCE_ATTRIBUTES.has(key)));
  const server = typeof image['instance_uuid'] === 'string' ? image['instance_uuid'] : undefined;
  return {
    id: image.id,
    name: image.name,
    minRam: image.min_ram ?? 0,
    minDisk: image.min_disk ?? 0,
    metadata,
    created: novaDate(image['created_at']),
    updated: novaDate(image['updated_at']),
    status: STATUS[image.status] ?? 'UNKNOWN',
    progress: PROGRESS[image.status] ?? 0,
    links: resourceLinks(baseUrl, 'images', image.id),
    'OS-EXT-IMG-SIZE:size': image.size,
    ...(server === undefined ? {} : { server: { id: server, links: resourceLinks(baseUrl, 'servers', server) } }),
  };
}
