// Image data benchmark: prints figures, asserts nothing (issue 3 §4).
//   npm run bench:image          (BENCH_IMAGE_MIB sets the size, default 1024)
// Uploads and downloads an image through the all-in-one's image API (file store, same disk) and
// sets each throughput beside a plain copy of the same file on that disk (dd with fsync: the
// physical limit here), with the process's RSS sampled during the transfers.
import { execFile } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { passwordAuthRequest, startAllInOne } from '@overcast/shared/testing';

const run = promisify(execFile);
const SIZE_MIB = Number(process.env['BENCH_IMAGE_MIB'] ?? 1024);
const ADMIN_PASSWORD = 'bench-admin-password';

async function writeRandomFile(path: string, mib: number): Promise<void> {
  const { randomFill } = await import('node:crypto');
  const fill = promisify(randomFill);
  const handle = await open(path, 'w');
  try {
    const chunk = Buffer.alloc(4 * 1024 * 1024);
    for (let written = 0; written < mib; written += 4) {
      await fill(chunk);
      await handle.write(chunk);
    }
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** The process's resident memory, sampled every 50 ms while `work` runs: the peak, in MiB. */
async function peakRss<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakMiB: number }> {
  let peak = 0;
  const sample = async () => {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    peak = Math.max(peak, Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024);
  };
  await sample();
  const timer = setInterval(() => void sample(), 50);
  try {
    return { result: await work(), peakMiB: peak };
  } finally {
    clearInterval(timer);
    await sample();
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return (performance.now() - start) / 1000;
}

async function main(): Promise<void> {
  const aio = await startAllInOne(ADMIN_PASSWORD);
  const scratch = await mkdtemp(join(aio.dataDir, 'bench-'));
  try {
    const source = join(scratch, 'source.img');
    await writeRandomFile(source, SIZE_MIB);
    const bytes = (await stat(source)).size;
    const copySeconds = await timed(() => run('dd', [`if=${source}`, `of=${join(scratch, 'copy.img')}`, 'bs=4M', 'conv=fsync', 'status=none']));
    await rm(join(scratch, 'copy.img'));

    const auth = await fetch(`${aio.urls.identity}/v3/auth/tokens?nocatalog`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(passwordAuthRequest('admin', ADMIN_PASSWORD, 'admin')) });
    const token = auth.headers.get('x-subject-token') as string;
    const created = (await (await fetch(`${aio.urls.image}/v2/images`, { method: 'POST', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'bench', disk_format: 'raw', container_format: 'bare' }) })).json()) as { id: string };
    const fileUrl = new URL(`${aio.urls.image}/v2/images/${created.id}/file`);
    const idleRss = (await peakRss(aio.process.pid, async () => undefined)).peakMiB;

    const upload = await peakRss(aio.process.pid, () =>
      timed(
        () =>
          new Promise<void>((resolve, reject) => {
            const put = request(fileUrl, { method: 'PUT', headers: { 'X-Auth-Token': token, 'Content-Type': 'application/octet-stream', 'Content-Length': bytes } }, (response) => {
              response.resume();
              response.on('end', () => (response.statusCode === 204 ? resolve() : reject(new Error(`upload answered ${response.statusCode}`))));
            });
            put.on('error', reject);
            createReadStream(source).pipe(put);
          }),
      ),
    );
    const download = await peakRss(aio.process.pid, () =>
      timed(async () => {
        const response = await fetch(fileUrl, { headers: { 'X-Auth-Token': token } });
        await pipeline(Readable.fromWeb(response.body as never), createWriteStream(join(scratch, 'download.img')));
        const handle = await open(join(scratch, 'download.img'), 'r');
        await handle.sync();
        await handle.close();
      }),
    );

    const rate = (seconds: number) => `${(bytes / 1024 / 1024 / seconds).toFixed(0)} MiB/s`;
    console.log(`| ${SIZE_MIB} MiB image, file store on the same disk | time | throughput | of plain copy | image process peak RSS |`);
    console.log('|---|---|---|---|---|');
    console.log(`| plain copy (dd, fsync) | ${copySeconds.toFixed(2)} s | ${rate(copySeconds)} | 100% | |`);
    console.log(`| upload (PUT /v2/images/{id}/file) | ${upload.result.toFixed(2)} s | ${rate(upload.result)} | ${((copySeconds / upload.result) * 100).toFixed(0)}% | ${upload.peakMiB.toFixed(0)} MiB |`);
    console.log(`| download (GET …/file, written and synced) | ${download.result.toFixed(2)} s | ${rate(download.result)} | ${((copySeconds / download.result) * 100).toFixed(0)}% | ${download.peakMiB.toFixed(0)} MiB |`);
    console.log(`\nall-in-one RSS before the transfers: ${idleRss.toFixed(0)} MiB`);
  } finally {
    await rm(scratch, { recursive: true, force: true });
    await aio.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
