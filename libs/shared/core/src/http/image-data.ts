import { Readable } from 'node:stream';
import { type ReadableStream } from 'node:stream/web';

/**
 * An image's data on the image service (`…/v2/images/<id>/file`), moved with the requester's
 * token: how the node agents read images into disks and volumes and write snapshots back. `what`
 * says what the transfer is for, and starts the message of its failure; no message holds the token.
 */
export async function downloadImageData(fileUrl: string, authToken: string | undefined, what: string): Promise<Readable> {
  const response = await imageService(fileUrl, { headers: tokenHeader(authToken) }, what);
  if (response.body === null) {
    throw new Error(`${what} failed: the image service sent no data`);
  }
  return Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
}

/** Streams `data` to the image as it is read; resolves once the image service has stored it. */
export async function uploadImageData(fileUrl: string, authToken: string | undefined, data: Readable, what: string): Promise<void> {
  await imageService(
    fileUrl,
    // `duplex: 'half'` is what fetch needs for a body that is a stream.
    { method: 'PUT', headers: { ...tokenHeader(authToken), 'Content-Type': 'application/octet-stream' }, body: data, duplex: 'half' },
    what,
  );
}

/** Removes the image whose data `fileUrl` is; best effort, as the failure that led here is what the user must see. */
export async function deleteImage(fileUrl: string, authToken: string | undefined): Promise<void> {
  const imageUrl = fileUrl.replace(/\/file$/, '');
  await fetch(imageUrl, { method: 'DELETE', headers: tokenHeader(authToken) }).catch(() => undefined);
}

function tokenHeader(authToken: string | undefined): Record<string, string> {
  return authToken === undefined ? {} : { 'X-Auth-Token': authToken };
}

/** A request to the image service that fails, naming the status and the service's message, unless it answers 2xx. */
async function imageService(url: string, init: RequestInit, what: string): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    // undici says "fetch failed" and keeps the reason (refused, reset, DNS) in `cause`.
    const cause = (error as Error).cause;
    throw new Error(`${what} failed: the image service at ${new URL(url).origin} could not be reached (${cause instanceof Error ? cause.message : (error as Error).message})`);
  }
  if (!response.ok) {
    const message = errorMessage(await response.text());
    throw new Error(`${what} failed: the image service answered ${response.status} ${response.statusText}${message === '' ? '' : `: ${message}`}`);
  }
  return response;
}

/** The message of an OpenStack error body (Glance's `message`, keystonemiddleware's `error.message`), else the start of its text. */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { message?: unknown; error?: { message?: unknown } } | null;
    const message = body?.message ?? body?.error?.message;
    if (typeof message === 'string') {
      // Glance's webob bodies end their message with `<br /><br />` and blank lines.
      return message.replace(/<br \/>/g, ' ').trim();
    }
  } catch {
    // Not JSON: the text itself says what went wrong.
  }
  return text.trim().slice(0, 300);
}
