import { IMAGE_EVENTS } from '@overcast/image/contracts';
import { createMessageBus, type MessageBus } from '@overcast/shared/bus';
import { type AllInOne, createTestVhost, eventually, passwordAuthRequest, startAllInOne, type TestVhost } from '@overcast/shared/testing';

const ADMIN_PASSWORD = 'image-events-admin';

/** The image service's notifications, seen by another process on RabbitMQ as any consumer would. */
describe('image service events on the bus', () => {
  let vhost: TestVhost;
  let aio: AllInOne;
  let bus: MessageBus;
  let token: string;
  const received: { event: string; id: string; status: string }[] = [];

  const api = (path: string, init: RequestInit = {}) => fetch(`${aio.urls.image}${path}`, { ...init, headers: { 'X-Auth-Token': token, ...(init.headers as Record<string, string>) } });

  beforeAll(async () => {
    vhost = await createTestVhost('overcast-image-events');
    aio = await startAllInOne(ADMIN_PASSWORD, { OVERCAST_TRANSPORT_URL: vhost.url });
    bus = await createMessageBus(vhost.url);
    await bus.subscribe('image.image.*', (image: { id: string; status: string }, meta) => {
      received.push({ event: meta.pattern, id: image.id, status: image.status });
    });
    const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
    token = auth.headers.get('x-subject-token') as string;
  }, 180_000);

  afterAll(async () => {
    await bus?.close();
    await aio?.close();
    await vhost?.drop();
  });

  it('publishes create, upload, activate, update, deactivate, reactivate and delete, with the image as Glance shows it', async () => {
    const { id } = (await (await api('/v2/images', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'noisy', disk_format: 'raw', container_format: 'bare' }) })).json()) as { id: string };
    expect((await api(`/v2/images/${id}/file`, { method: 'PUT', headers: { 'Content-Type': 'application/octet-stream' }, body: Buffer.from('data') })).status).toBe(204);
    expect((await api(`/v2/images/${id}`, { method: 'PATCH', headers: { 'Content-Type': 'application/openstack-images-v2.1-json-patch' }, body: JSON.stringify([{ op: 'replace', path: '/name', value: 'quiet' }]) })).status).toBe(200);
    expect((await api(`/v2/images/${id}/actions/deactivate`, { method: 'POST' })).status).toBe(204);
    expect((await api(`/v2/images/${id}/actions/reactivate`, { method: 'POST' })).status).toBe(204);
    expect((await api(`/v2/images/${id}`, { method: 'DELETE' })).status).toBe(204);

    const expected = [
      { event: IMAGE_EVENTS.created, id, status: 'queued' },
      { event: IMAGE_EVENTS.uploaded, id, status: 'active' },
      { event: IMAGE_EVENTS.activated, id, status: 'active' },
      { event: IMAGE_EVENTS.updated, id, status: 'active' },
      { event: IMAGE_EVENTS.deactivated, id, status: 'deactivated' },
      { event: IMAGE_EVENTS.reactivated, id, status: 'active' },
      { event: IMAGE_EVENTS.deleted, id, status: 'deleted' },
    ];
    const mine = async () => received.filter((event) => event.id === id);
    expect(await eventually(mine, (events) => events.length >= expected.length)).toEqual(expected);
  });
});
