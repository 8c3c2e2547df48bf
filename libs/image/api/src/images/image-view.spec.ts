import { ImageEntity, type ImageStatus } from '@overcast/image/data-access';
import { loadConfig } from '@overcast/shared/core';
import { imageSettings } from '../image.config';
import { imageView } from './image-view';

function image(status: ImageStatus, urls: string[]): ImageEntity {
  return Object.assign(new ImageEntity(), {
    id: 'b5a4c3d2-0000-4000-8000-000000000001',
    status,
    properties: {},
    tags: [],
    locations: urls.map((url) => ({ url, store: 'ceph' })),
    createdAt: new Date(0),
    updatedAt: new Date(0),
  });
}

describe('direct_url (Glance show_image_direct_url)', () => {
  const rbd = 'rbd://0b6f4a62-4c0e-4b35-9a8f-2f2d1c3e5a77/images/b5a4c3d2-0000-4000-8000-000000000001/snap';

  it('is off by default, and OVERCAST_IMAGE_SHOW_DIRECT_URL turns it on', () => {
    const load = (env: Record<string, string>) => loadConfig(imageSettings, 'image', { env: { OVERCAST_IMAGE_SERVICE_PASSWORD: 'x', ...env } });
    expect(load({}).showDirectUrl).toBe(false);
    expect(load({ OVERCAST_IMAGE_SHOW_DIRECT_URL: 'true' }).showDirectUrl).toBe(true);
  });

  it("shows an active image's first location when on, and nothing otherwise", () => {
    const active = image('active', [rbd, 'file:///var/lib/overcast/image/local/x']);
    expect(imageView(active, { showDirectUrl: true })['direct_url']).toBe(rbd);
    expect(imageView(active)).not.toHaveProperty('direct_url');
    expect(imageView(image('deactivated', [rbd]), { showDirectUrl: true })).not.toHaveProperty('direct_url');
    expect(imageView(image('queued', []), { showDirectUrl: true })).not.toHaveProperty('direct_url');
  });
});
