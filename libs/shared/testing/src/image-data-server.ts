import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';

/**
 * The image service's data endpoints, for the agents that move image data: GET and PUT of
 * `/v2/images/<id>/file` and DELETE of `/v2/images/<id>`, for requests with the one token it accepts.
 */
export class ImageDataServer {
  readonly uploads = new Map<string, { contentType?: string; body: Buffer }>();
  readonly deleted: string[] = [];
  private readonly server: Server;

  constructor(
    private readonly images: Record<string, Buffer>,
    token: string,
  ) {
    this.server = createServer((request, response) => {
      const [, id = '', file] = /^\/v2\/images\/([^/]+)(\/file)?$/.exec(request.url ?? '') ?? [];
      const given = request.headers['x-auth-token'];
      if (given !== token) {
        // Careless on purpose, as a real service may be: it says which token it refused, which must go no further.
        response.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ error: { code: 401, title: 'Unauthorized', message: `The token ${String(given)} is not valid.` } }));
      } else if (request.method === 'DELETE' && file === undefined) {
        this.deleted.push(id);
        response.writeHead(204).end();
      } else if (request.method === 'PUT') {
        void buffer(request).then((body) => {
          this.uploads.set(id, { contentType: request.headers['content-type'], body });
          response.writeHead(204).end();
        });
      } else {
        const data = this.images[id];
        response.writeHead(data ? 200 : 404).end(data);
      }
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  fileUrl(imageId: string): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/v2/images/${imageId}/file`;
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
