import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { test } from 'node:test';
import { pack } from 'tar-stream';
import { runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { tempDir } from './support/temp-dir.ts';

// A bundle whose docs/ entry is hundreds of MB: imported in bounded memory when the config's
// limits allow it, refused whole, naming the entry, when they do not. The bundle is generated
// as a stream and never held by the test either.

const hugeBytes = 320 * 1024 * 1024;
const indexKey = 'repos/demo/upstreams/0123456789abcdef';

/** The same 320 MiB every time, one 1 MiB chunk after another, each a little different. */
function* hugeChunks(): Generator<Buffer> {
  const base = Buffer.alloc(1024 * 1024, 'helm-index-line: some chart version\n');
  for (let i = 0; i < hugeBytes / base.length; i++) {
    const chunk = Buffer.from(base); // the tar stream keeps a reference until it is written
    chunk.writeUInt32BE(i, 0);
    yield chunk;
  }
}

async function writeHugeBundle(file: string): Promise<string> {
  const hash = createHash('sha256');
  for (const chunk of hugeChunks()) hash.update(chunk);
  const digest = `sha256:${hash.digest('hex')}`;
  const manifest = JSON.stringify({
    format: 'ballast-bundle',
    version: 1,
    createdAt: new Date(0).toISOString(),
    repos: [{ name: 'demo', upstreams: ['http://127.0.0.1:9/'] }],
    files: [],
    entries: [{ name: `docs/${indexKey}`, digest, size: hugeBytes }],
  });
  const tar = pack();
  const written = pipeline(tar, createWriteStream(file));
  tar.entry({ name: 'ballast-bundle.json' }, manifest);
  const entry = tar.entry({ name: `docs/${indexKey}`, size: hugeBytes });
  for (const chunk of hugeChunks()) {
    if (!entry.write(chunk))
      await new Promise<void>((resolve) => entry.once('drain', () => resolve()));
  }
  entry.end(undefined);
  tar.finalize();
  await written;
  return digest;
}

/** Runs the real CLI and reads its peak resident memory (VmHWM) while it runs. */
async function importMeasured(
  args: string[],
): Promise<{ code: number | null; stderr: string; peakMiB: number }> {
  let peakKiB = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = await runBallastCli(args, {
    timeoutMs: 240_000,
    onSpawn(pid) {
      timer = setInterval(() => {
        readFile(`/proc/${pid}/status`, 'utf8').then(
          (status) => {
            const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
            peakKiB = Math.max(peakKiB, kib);
          },
          () => {},
        );
      }, 25);
    },
  });
  clearInterval(timer);
  return { code: run.code, stderr: run.stderr, peakMiB: peakKiB / 1024 };
}

async function sha256OfFile(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

test('import: a huge docs/ entry is refused whole by the limits, or streamed in bounded memory', async (t) => {
  const dir = await tempDir('bundle-huge', t);
  const bundle = join(dir, 'huge.tar');
  const digest = await writeHugeBundle(bundle);
  const data = join(dir, 'data');
  await mkdir(join(data, 'docs', 'repos', 'other'), { recursive: true });
  await writeFile(join(data, 'docs', 'repos', 'other', 'served'), '{"from":[],"at":1}');
  const before = await storeSnapshot(data);

  // Default limits: an index of 320 MiB is past limits.indexSize (64 MiB).
  const strict = await writeBallastConfig(dir, 'strict', { storage: { fs: { path: data } } });
  const refused = await importMeasured(['import', '--config', strict, bundle]);
  assert.equal(refused.code, 1, refused.stderr);
  assert.equal(
    refused.stderr,
    `ballast: BALLAST_BUNDLE_ENTRY_INVALID: bundle ${bundle} refused: entry "docs/${indexKey}": has ${hugeBytes} bytes, more than the ${64 * 1024 * 1024 + 64 * 1024} a repository index may have (limits.indexSize); nothing was imported\n`,
  );
  assert.deepEqual(await storeSnapshot(data), before, 'nothing stored changed');

  // Limits that allow it: the document streams to the store.
  const roomy = await writeBallastConfig(dir, 'roomy', {
    storage: { fs: { path: data } },
    limits: { indexSize: '1GiB' },
  });
  const imported = await importMeasured(['import', '--config', roomy, bundle]);
  assert.equal(imported.code, 0, imported.stderr);
  t.diagnostic(
    `peak RSS of ballast import with a ${hugeBytes / 2 ** 20} MiB document: ${imported.peakMiB.toFixed(0)} MiB`,
  );
  assert.ok(imported.peakMiB > 0, 'VmHWM was read');
  assert.ok(
    imported.peakMiB < 300,
    `peak RSS ${imported.peakMiB.toFixed(0)} MiB, expected under 300 MiB`,
  );
  const stored = join(data, 'docs', indexKey);
  assert.equal((await stat(stored)).size, hugeBytes);
  assert.equal(await sha256OfFile(stored), digest);
  assert.equal(
    await readFile(join(data, 'docs', 'repos', 'other', 'served'), 'utf8'),
    '{"from":[],"at":1}',
    'what was stored before is still there',
  );

  // A second import finds the document identical (hashed as a stream) and writes nothing.
  const again = await importMeasured(['import', '--config', roomy, '--json', bundle]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(again.peakMiB < 300, `peak RSS ${again.peakMiB.toFixed(0)} MiB on the second import`);
});
