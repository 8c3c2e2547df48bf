import { type ImageReference, type UploadToImageRequest } from '@overcast/block-storage/contracts';
import { type ImageSink, type ImageSource } from '@overcast/block-storage/drivers';
import { Readable } from 'node:stream';
import { type ReadableStream } from 'node:stream/web';

/** An image for a driver to read: its data comes from the image service, with the requester's token, when the driver opens it. */
export function imageSource(image: ImageReference, authToken: string | undefined): ImageSource {
  return {
    id: image.id,
    size: image.size,
    diskFormat: image.diskFormat,
    locations: image.locations,
    open: async () => {
      const response = await imageService(image.fileUrl, { headers: tokenHeader(authToken) }, `downloading image ${image.id}`);
      if (response.body === null) {
        throw new Error(`downloading image ${image.id} failed: the image service sent no data`);
      }
      return Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    },
  };
}

/** Where a driver streams a volume's data to: a PUT of the image's data to the image service. */
export function imageSink(request: UploadToImageRequest): ImageSink {
  return {
    diskFormat: request.diskFormat,
    upload: async (data) => {
      await imageService(
        request.fileUrl,
        // Streamed as it is read: `duplex: 'half'` is what fetch needs for a body that is a stream.
        { method: 'PUT', headers: { ...tokenHeader(request.authToken), 'Content-Type': 'application/octet-stream' }, body: data, duplex: 'half' },
        `uploading volume ${request.volume.id} to image ${request.imageId}`,
      );
    },
  };
}

/** Removes the image an upload was for; best effort, as the upload's own failure is what the user must see. */
export async function deleteImage(request: UploadToImageRequest): Promise<void> {
  const imageUrl = request.fileUrl.replace(/\/file$/, '');
  await fetch(imageUrl, { method: 'DELETE', headers: tokenHeader(request.authToken) }).catch(() => undefined);
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
