import { Body, type CanActivate, Controller, type ExecutionContext, Get, Injectable, Module, Param, Post, Query, Req } from '@nestjs/common';
import { APP_GUARD, Reflector } from '@nestjs/core';
import { type Request } from 'express';
import { Writable } from 'node:stream';
import request from 'supertest';
import { z } from 'zod';
import { type ErrorFormat } from '../errors/error-formats';
import { notFound, unauthorized } from '../errors/openstack-error';
import { createLogger } from '../logging/logger';
import { nextPageLink, parsePageRequest } from '../pagination/pagination';
import { parseInput } from '../validation/parse-body';
import { requestBaseUrl } from '../versions/version-documents';
import { type HealthCheck, HealthController } from './health.controller';
import { type RunningHttpService, startHttpService } from './http-service';
import { PUBLIC_ROUTE_KEY } from './public-route';

const TOKEN = 'a-valid-token';
const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const SERVERS = ['s1', 's2', 's3', 's4', 's5'].map((id) => ({ id, name: `server-${id}` }));

/** Stands in for the token guard of @overcast/shared/auth: a token on every route not marked public. */
@Injectable()
class RequireToken implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE_KEY, [context.getHandler(), context.getClass()]) === true) {
      return true;
    }
    if (context.switchToHttp().getRequest<Request>().get('x-auth-token') !== TOKEN) {
      throw unauthorized();
    }
    return true;
  }
}

const createServer = z.object({ server: z.object({ name: z.string().min(1), flavorRef: z.string() }) });

@Controller('v1')
class ServersController {
  @Get('servers')
  list(@Query() query: Record<string, unknown>, @Req() req: Request) {
    const page = parsePageRequest(query, 3);
    const start = page.marker === undefined ? 0 : SERVERS.findIndex((server) => server.id === page.marker) + 1;
    const limit = page.limit ?? 3;
    const servers = SERVERS.slice(start, start + limit);
    return { servers, servers_links: nextPageLink(`${requestBaseUrl(req)}/v1/servers`, query, servers, limit) };
  }

  @Get('servers/:id')
  show(@Param('id') id: string): never {
    throw notFound(`Instance ${id} could not be found.`, 'InstanceNotFound');
  }

  @Post('servers')
  create(@Body() body: unknown) {
    return parseInput(createServer, body);
  }

  @Get('boom')
  boom(): never {
    throw new Error('connect ECONNREFUSED postgres://admin:hunter2@db:5432/compute');
  }

  @Get('base-url')
  baseUrl(@Req() req: Request) {
    return { href: requestBaseUrl(req) };
  }
}

let databaseUp = true;
const checks: HealthCheck[] = [
  {
    name: 'database',
    check: async () => {
      if (!databaseUp) {
        throw new Error('connection refused');
      }
    },
  },
  { name: 'bus', check: async () => undefined },
];

@Module({
  controllers: [ServersController],
  providers: [{ provide: APP_GUARD, useClass: RequireToken }],
})
class TestApiModule {}

describe('startHttpService', () => {
  const logLines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) {
        logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  const logger = createLogger({ level: 'info', destination });
  const IDENTITY_URL = 'http://identity.example:5000';
  const services = new Map<ErrorFormat, RunningHttpService>();
  const formats: ErrorFormat[] = ['keystone', 'nova', 'neutron', 'glance'];
  const http = (format: ErrorFormat) => request((services.get(format) as RunningHttpService).app.getHttpServer());

  beforeAll(async () => {
    for (const format of formats) {
      services.set(format, await startHttpService({ name: `svc-${format}`, module: TestApiModule, errorFormat: format, authenticateUri: IDENTITY_URL, host: '127.0.0.1', port: 0, logger, healthChecks: checks }));
    }
  });

  afterAll(async () => {
    for (const service of services.values()) {
      await service.close();
    }
  });

  it('listens where it says, on a free port when given 0', () => {
    for (const [format, service] of services) {
      expect(service.name).toBe(`svc-${format}`);
      expect(service.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(service.url).not.toBe('http://127.0.0.1:0');
    }
  });

  describe('errors, in each service’s format', () => {
    const notFoundBodies: Record<ErrorFormat, unknown> = {
      keystone: { error: { code: 404, title: 'Not Found', message: 'Instance abc could not be found.' } },
      nova: { itemNotFound: { code: 404, message: 'Instance abc could not be found.' } },
      neutron: { NeutronError: { type: 'InstanceNotFound', message: 'Instance abc could not be found.', detail: '' } },
      glance: { message: 'Instance abc could not be found.<br /><br />\n\n\n', code: '404 Not Found', title: 'Not Found' },
    };

    it.each(formats)('%s: a typed error keeps its status and message, with a request id', async (format) => {
      const response = await http(format).get('/v1/servers/abc').set('X-Auth-Token', TOKEN);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/json/);
      expect(response.headers['x-openstack-request-id']).toMatch(REQUEST_ID);
      expect(response.body).toEqual(notFoundBodies[format]);
    });

    it.each([
      ['keystone', { error: { code: 404, title: 'Not Found', message: 'The resource could not be found.' } }],
      ['nova', { itemNotFound: { code: 404, message: 'The resource could not be found.' } }],
      ['neutron', { NeutronError: { type: 'HTTPNotFound', message: 'The resource could not be found.', detail: '' } }],
    ] as const)('%s: an unknown path is a 404 in the service’s words', async (format, body) => {
      const response = await http(format).get('/v1/nothing-here').set('X-Auth-Token', TOKEN);
      expect(response.status).toBe(404);
      expect(response.body).toEqual(body);
    });

    it.each([
      ['keystone', { error: { code: 400, title: 'Bad Request', message: 'Malformed request body: it is not valid JSON.' } }],
      ['nova', { badRequest: { code: 400, message: 'Malformed request body: it is not valid JSON.' } }],
      ['neutron', { NeutronError: { type: 'HTTPBadRequest', message: 'Malformed request body: it is not valid JSON.', detail: '' } }],
    ] as const)('%s: malformed JSON is a 400', async (format, body) => {
      const response = await http(format).post('/v1/servers').set('X-Auth-Token', TOKEN).set('Content-Type', 'application/json').send('{"server": ');
      expect(response.status).toBe(400);
      expect(response.body).toEqual(body);
    });

    it('a body over 1 MB is a 413', async () => {
      const response = await http('nova')
        .post('/v1/servers')
        .set('X-Auth-Token', TOKEN)
        .set('Content-Type', 'application/json')
        .send(JSON.stringify({ server: { name: 'x'.repeat(1024 * 1024 + 1), flavorRef: '1' } }));
      expect(response.status).toBe(413);
      expect(response.body).toEqual({ overLimit: { code: 413, message: 'Request body is too large.' } });
    });

    it('bad input names the field, with a 400', async () => {
      const response = await http('nova').post('/v1/servers').set('X-Auth-Token', TOKEN).send({ server: { name: 5, flavorRef: '1' } });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ badRequest: { code: 400, message: "Invalid input for field 'server/name': Invalid input: expected string, received number" } });
      const vendorType = await http('nova')
        .post('/v1/servers')
        .set('X-Auth-Token', TOKEN)
        .set('Content-Type', 'application/vnd.openstack.compute+json')
        .send(JSON.stringify({ server: { name: 'web', flavorRef: '1' } }));
      expect(vendorType.status).toBe(201);
      expect(vendorType.body).toEqual({ server: { name: 'web', flavorRef: '1' } });
    });

    it.each(['nova', 'neutron', 'glance'] as const)('%s: a missing token is a 401 in Keystone’s format, as keystonemiddleware answers', async (format) => {
      const response = await http(format).get('/v1/servers');
      expect(response.status).toBe(401);
      expect(response.body).toEqual({ error: { code: 401, title: 'Unauthorized', message: 'The request you have made requires authentication.' } });
      expect(response.headers['www-authenticate']).toBe(`Keystone uri="${IDENTITY_URL}"`);
    });

    it('an unexpected error is a logged 500 with the request id and no internals', async () => {
      const response = await http('nova').get('/v1/boom').set('X-Auth-Token', TOKEN);
      expect(response.status).toBe(500);
      expect(response.body).toEqual({ computeFault: { code: 500, message: 'An unexpected error prevented the server from fulfilling your request.' } });
      expect(response.text).not.toContain('hunter2');
      const requestId = response.headers['x-openstack-request-id'] as string;
      const logged = logLines.find((line) => line['msg'] === 'unexpected error' && line['request_id'] === requestId);
      expect(logged).toMatchObject({ service: 'svc-nova', method: 'GET', path: '/v1/boom', level: 50 });
    });
  });

  it('gives every request its own request id', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      ids.add((await http('keystone').get('/healthcheck')).headers['x-openstack-request-id'] as string);
    }
    expect(ids.size).toBe(5);
  });

  it('pages a collection with links built from the URL the caller used', async () => {
    const first = await http('nova').get('/v1/servers?limit=2&name=web').set('X-Auth-Token', TOKEN).set('Host', 'compute.example:8774');
    expect(first.status).toBe(200);
    expect(first.body.servers.map((server: { id: string }) => server.id)).toEqual(['s1', 's2']);
    expect(first.body.servers_links).toEqual([{ rel: 'next', href: 'http://compute.example:8774/v1/servers?limit=2&name=web&marker=s2' }]);
    const last = await http('nova').get('/v1/servers?limit=2&name=web&marker=s4').set('X-Auth-Token', TOKEN);
    expect(last.body).toEqual({ servers: [{ id: 's5', name: 'server-s5' }], servers_links: [] });
    const capped = await http('nova').get('/v1/servers?limit=50').set('X-Auth-Token', TOKEN);
    expect(capped.body.servers).toHaveLength(3);
    const bad = await http('nova').get('/v1/servers?limit=-1').set('X-Auth-Token', TOKEN);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ badRequest: { code: 400, message: 'limit must be a non-negative integer, not "-1".' } });
  });

  it('knows the base URL the caller used', async () => {
    const service = services.get('keystone') as RunningHttpService;
    expect((await http('keystone').get('/v1/base-url').set('X-Auth-Token', TOKEN).set('Host', 'identity.example')).body).toEqual({ href: 'http://identity.example' });
    expect((await http('keystone').get('/v1/base-url').set('X-Auth-Token', TOKEN)).body).toEqual({ href: service.url });
  });

  describe('health and metrics', () => {
    it('marks the health controller as public for the token guard', () => {
      expect(Reflect.getMetadata(PUBLIC_ROUTE_KEY, HealthController)).toBe(true);
    });

    it('answers /healthcheck with a plain OK, without a token', async () => {
      const response = await http('nova').get('/healthcheck');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).toBe('OK');
    });

    it('answers 503 naming the failing dependency', async () => {
      databaseUp = false;
      try {
        const response = await http('nova').get('/healthcheck');
        expect(response.status).toBe(503);
        expect(response.text).toBe('FAILED: database');
      } finally {
        databaseUp = true;
      }
      expect((await http('nova').get('/healthcheck')).status).toBe(200);
    });

    it('serves Prometheus metrics without a token, by service, route and status', async () => {
      await http('neutron').get('/v1/servers/xyz').set('X-Auth-Token', TOKEN);
      const response = await http('neutron').get('/metrics');
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      expect(response.text).toMatch(/overcast_http_request_duration_seconds_count\{service="svc-neutron",method="GET",route="\/v1\/servers\/:id",status="404"\} [1-9]/);
      expect(response.text).toContain('process_cpu_user_seconds_total');
    });
  });
});
