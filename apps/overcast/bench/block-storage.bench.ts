// Block-storage benchmark: prints figures, asserts nothing (issue 5 §4).
//   npm run bench:block-storage
// 1. Creates 100 blank 1 GiB volumes with 8 requests in flight on the all-in-one's file backend
//    (thin qcow2) and prints volumes/s from the first request to the last volume `available`,
//    with p50/p99 of each volume's time to `available`.
// 2. Times a 1 GiB volume made from a 1 GiB raw image (download from the image service, check,
//    convert to qcow2) against a plain `qemu-img convert` of the same file: the physical limit.
import { passwordAuthRequest, startAllInOne } from '@overcast/shared/testing';
import { execFile } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const ADMIN_PASSWORD = 'bench-admin-password';
const VOLUMES = Number(process.env['BENCH_VOLUMES'] ?? 100);
const CONCURRENCY = 8;
const GIB = 1024 ** 3;

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const aio = await startAllInOne(ADMIN_PASSWORD, { OVERCAST_BLOCK_STORAGE_QUOTA_VOLUMES: '-1', OVERCAST_BLOCK_STORAGE_QUOTA_GIGABYTES: '-1' });
  try {
    // Revocations are kept to the second, as Keystone's are: a token issued in the second of the
    // first start's role grants would be refused, so ask for one in the next second.
    await delay(1000);
    const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
    const token = auth.headers.get('x-subject-token') as string;
    const projectId = ((await auth.json()) as { token: { project: { id: string } } }).token.project.id;
    const call = async (url: string, method: string, body?: unknown, headers: Record<string, string> = { 'Content-Type': 'application/json' }) => {
      const response = await fetch(url, { method, headers: { 'X-Auth-Token': token, ...headers }, body: body === undefined ? undefined : JSON.stringify(body) });
      if (!response.ok) {
        throw new Error(`${method} ${url} answered ${response.status}: ${await response.text()}`);
      }
      const text = await response.text();
      return (text === '' ? {} : JSON.parse(text)) as Record<string, Record<string, unknown>>;
    };
    const volumes = `${aio.urls['block-storage']}/v3/${projectId}/volumes`;
    /** Polls the volume until it leaves `creating`; fails on anything but `available`. */
    const available = async (id: string) => {
      for (;;) {
        const status = (await call(`${volumes}/${id}`, 'GET'))['volume']?.['status'];
        if (status === 'available') {
          return;
        }
        if (status !== 'creating') {
          throw new Error(`volume ${id} ended ${String(status)}`);
        }
        await delay(20);
      }
    };

    const latencies: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < VOLUMES) {
          next += 1;
          const start = performance.now();
          const id = (await call(volumes, 'POST', { volume: { size: 1 } }))['volume']?.['id'] as string;
          await available(id);
          latencies.push(performance.now() - start);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`volume create (blank 1 GiB, file backend, qcow2 thin, ${CONCURRENCY} in flight): ${VOLUMES} in ${seconds.toFixed(2)} s = ${(VOLUMES / seconds).toFixed(1)} volumes/s; to available p50 ${percentile(latencies, 0.5).toFixed(0)} ms, p99 ${percentile(latencies, 0.99).toFixed(0)} ms`);

    const imageFile = join(aio.dataDir, 'bench-image.raw');
    await run('dd', ['if=/dev/urandom', `of=${imageFile}`, 'bs=4M', `count=${GIB / (4 * 1024 * 1024)}`, 'status=none']);
    const image = await call(`${aio.urls.image}/v2/images`, 'POST', { name: 'bench-1g', disk_format: 'raw', container_format: 'bare' });
    const imageId = image['id'] as unknown as string;
    const upload = await fetch(`${aio.urls.image}/v2/images/${imageId}/file`, {
      method: 'PUT',
      headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream' },
      body: Readable.toWeb(createReadStream(imageFile)) as ReadableStream,
      duplex: 'half',
    } as RequestInit);
    if (!upload.ok) {
      throw new Error(`image upload answered ${upload.status}`);
    }

    const fromImageStart = performance.now();
    const volumeId = (await call(volumes, 'POST', { volume: { size: 1, imageRef: imageId } }))['volume']?.['id'] as string;
    await available(volumeId);
    const fromImageSeconds = (performance.now() - fromImageStart) / 1000;

    const converted = join(aio.dataDir, 'bench-convert.qcow2');
    const convertStart = performance.now();
    await run('qemu-img', ['convert', '-O', 'qcow2', imageFile, converted]);
    const convertSeconds = (performance.now() - convertStart) / 1000;
    const size = (await stat(imageFile)).size / GIB;
    console.log(
      `volume from a ${size.toFixed(0)} GiB image: ${fromImageSeconds.toFixed(2)} s; plain qemu-img convert of the same file: ${convertSeconds.toFixed(2)} s; ratio ${(fromImageSeconds / convertSeconds).toFixed(2)}x`,
    );
    await rm(converted, { force: true });
  } finally {
    await aio.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
