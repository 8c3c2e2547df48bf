import { loadConfig } from '@overcast/shared/core';
import { imageSettings } from '../image.config';
import { ImportMethods } from './import-methods';

const load = (env: Record<string, string>, file?: Record<string, unknown>) => loadConfig(imageSettings, 'image', { env: { OVERCAST_IMAGE_SERVICE_PASSWORD: 'x', ...env }, file });

describe('import settings', () => {
  it('turns web-download off by default: no host allowed, not advertised', () => {
    const settings = load({});
    expect(settings.webDownload).toEqual({ allowedHosts: [], allowedSchemes: ['http', 'https'], allowedPorts: [], allowedNetworks: [], timeoutSeconds: 60 });
    expect(settings.staging).toEqual({});
    expect(new ImportMethods(settings).enabled).toEqual(['glance-direct']);
  });

  it('reads lists from the environment, comma-separated', () => {
    const settings = load({
      OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_HOSTS: 'images.example.com, 127.0.0.1',
      OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_PORTS: '80,8080',
      OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '127.0.0.1/32',
      OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_SCHEMES: 'https',
      OVERCAST_IMAGE_STAGING_DIRECTORY: '/srv/staging',
    });
    expect(settings.webDownload).toMatchObject({ allowedHosts: ['images.example.com', '127.0.0.1'], allowedPorts: [80, 8080], allowedNetworks: ['127.0.0.1/32'], allowedSchemes: ['https'] });
    expect(settings.staging.directory).toBe('/srv/staging');
    expect(new ImportMethods(settings).enabled).toEqual(['glance-direct', 'web-download']);
  });

  it('reads lists from the config file', () => {
    const settings = load({}, { image: { webDownload: { allowedHosts: ['*'], allowedPorts: [443] } } });
    expect(settings.webDownload).toMatchObject({ allowedHosts: ['*'], allowedPorts: [443] });
  });

  it('refuses what cannot be a host, network, scheme or port, naming the setting', () => {
    expect(() => load({ OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_HOSTS: 'example.com/path' })).toThrow(/invalid setting image\.webDownload\.allowedHosts\.0 .*must be a host name/);
    expect(() => load({ OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_NETWORKS: '10.0.0.0/99' })).toThrow(/invalid setting image\.webDownload\.allowedNetworks\.0/);
    expect(() => load({ OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_SCHEMES: 'file' })).toThrow(/invalid setting image\.webDownload\.allowedSchemes\.0/);
    expect(() => load({ OVERCAST_IMAGE_WEB_DOWNLOAD_ALLOWED_PORTS: 'eighty' })).toThrow(/invalid setting image\.webDownload\.allowedPorts\.0/);
  });

  it('keeps the staging area out of the stores', () => {
    expect(() => load({}, { image: { stores: [{ driver: 'file', id: 'staging' }], defaultStore: 'staging' } })).toThrow(/invalid setting image\.staging\.directory/);
    expect(() => load({ OVERCAST_IMAGE_STAGING_DIRECTORY: '/srv/a' }, { image: { stores: [{ driver: 'file', id: 'local', directory: '/srv/a' }] } })).toThrow(/invalid setting image\.staging\.directory/);
    expect(load({ OVERCAST_IMAGE_STAGING_DIRECTORY: '/srv/staging' }, { image: { stores: [{ driver: 'file', id: 'staging' }], defaultStore: 'staging' } }).staging.directory).toBe('/srv/staging');
  });
});
