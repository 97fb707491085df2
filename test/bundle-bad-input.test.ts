import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pack } from 'tar-stream';
import { writeBundle } from '../src/bundle/write-bundle.ts';
import { createFsStore } from '../src/store/fs/fs-store.ts';
import type { Digest } from '../src/store/store.ts';
import { runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// A bundle is refused whole, with the name of what is wrong, and the store is left exactly
// as it was: one flipped byte, a truncated file, entries that try to leave the store.

const digestOf = (bytes: Uint8Array): Digest =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface RawEntry {
  name: string;
  data?: Buffer;
  type?: 'file' | 'symlink' | 'directory' | 'link';
  linkname?: string;
}

async function craftTar(entries: RawEntry[]): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of tar as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const entry of entries) {
    const header = {
      name: entry.name,
      type: entry.type ?? 'file',
      ...(entry.linkname ? { linkname: entry.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const callback = (error?: Error | null) => (error ? reject(error) : resolve());
      if (header.type === 'file') tar.entry(header, entry.data ?? Buffer.alloc(0), callback);
      else tar.entry(header, callback);
    });
  }
  tar.finalize();
  await done;
  return Buffer.concat(chunks);
}

function manifestFor(entries: { name: string; data: Buffer }[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      format: 'ballast-bundle',
      version: 1,
      createdAt: new Date(0).toISOString(),
      repos: [{ name: 'demo', upstreams: ['http://127.0.0.1:9/'] }],
      files: [],
      entries: entries.map(({ name, data }) => ({
        name,
        digest: digestOf(data),
        size: data.length,
      })),
    }),
  );
}

describe('ballast import refuses a bad bundle whole', () => {
  let work: string;
  let good: Buffer;
  let config: string;
  let dataB: string;
  const chart = Buffer.from(`CHART-BYTES-${'x'.repeat(5000)}-END`);
  const index = Buffer.from(`{"format":2}\nINDEX-BYTES-${'y'.repeat(3000)}-END`);
  const chartName = `blobs/sha256/${digestOf(chart).slice(7)}`;
  const indexName = 'docs/repos/demo/upstreams/0123456789abcdef';

  before(async () => {
    work = await tempDir('bundle-bad');
    const storeA = await createFsStore({ root: join(work, 'data-a') });
    await storeA.putBlob(Readable.from([chart]), { maxBytes: 1e6, what: 'chart', source: 'test' });
    await storeA.putDocument('repos/demo/upstreams/0123456789abcdef', index);
    await storeA.putDocument('repos/demo/served', '{"from":["http://127.0.0.1:9/"],"at":0}');
    const out = join(work, 'good.tar');
    await writeBundle(
      storeA,
      {
        documents: ['repos/demo/upstreams/0123456789abcdef', 'repos/demo/served'],
        blobs: [digestOf(chart)],
        skipped: [],
      },
      out,
      { repos: [{ name: 'demo', upstreams: ['http://127.0.0.1:9/'] }], files: [] },
    );
    good = await readFile(out);
    // The importing store already holds something of its own, which must survive every refusal.
    dataB = join(work, 'data-b');
    const storeB = await createFsStore({ root: dataB });
    await storeB.putBlob(Readable.from([Buffer.from('mine')]), {
      maxBytes: 10,
      what: 'x',
      source: 'test',
    });
    await storeB.putDocument('repos/other/served', '{"from":[],"at":1}');
    config = await writeBallastConfig(work, 'b', { storage: { fs: { path: dataB } } });
  });

  after(async () => {
    if (work) await removeDir(work);
  });

  async function refused(bundle: Buffer, expected: RegExp) {
    const file = join(work, `bad-${Math.random().toString(16).slice(2)}.tar`);
    await writeFile(file, bundle);
    const before = await storeSnapshot(dataB);
    const run = await runBallastCli(['import', '--config', config, file]);
    assert.equal(run.code, 1, `exit ${run.code}: ${run.stderr}`);
    assert.match(run.stderr, expected);
    assert.match(run.stderr, /nothing was imported/);
    assert.deepEqual(await storeSnapshot(dataB), before, 'nothing stored changed');
    return run.stderr;
  }

  const flipAt = (marker: string) => {
    const copy = Buffer.from(good);
    const at = copy.indexOf(marker) + marker.length + 10;
    copy[at] = (copy[at] as number) ^ 0x01;
    return copy;
  };

  test('one flipped byte in a chart: refused, naming the chart entry', async () => {
    await refused(
      flipAt('CHART-BYTES-'),
      new RegExp(`BALLAST_BUNDLE_ENTRY_INVALID: .*entry "${chartName}": content has digest`),
    );
  });

  test('one flipped byte in an index document: refused, naming the document entry', async () => {
    await refused(flipAt('INDEX-BYTES-'), new RegExp(`entry "${indexName}": content has digest`));
  });

  test('one flipped byte in the manifest: refused', async () => {
    const copy = Buffer.from(good);
    const at = copy.indexOf('"sha256:') + 12;
    copy[at] = copy[at] === 0x61 ? 0x62 : 0x61;
    await refused(copy, /BALLAST_BUNDLE_ENTRY_INVALID/);
  });

  test('a truncated bundle: cut inside an entry, or after whole entries', async () => {
    await refused(
      good.subarray(0, good.indexOf('INDEX-BYTES-') + 100),
      /not a complete tar|ends after/,
    );
    // Cut after the chart entry (512-byte blocks): the documents listed in the manifest are missing.
    const chartEnd = good.indexOf('-END', good.indexOf('CHART-BYTES-')) + 4;
    const cut = Math.ceil(chartEnd / 512) * 512;
    await refused(good.subarray(0, cut), /missing|not a complete tar/);
    await refused(good.subarray(0, 700), /BALLAST_BUNDLE_(ENTRY_)?INVALID/);
  });

  test('entries that try to leave the store are refused by name', async () => {
    const evil = Buffer.from('evil');
    for (const name of ['../../evil', '/etc/evil', 'docs/../../../evil', 'docs/repos/../../evil']) {
      const tar = await craftTar([
        { name: 'ballast-bundle.json', data: manifestFor([{ name, data: evil }]) },
        { name, data: evil },
      ]);
      const stderr = await refused(tar, /BALLAST_BUNDLE_ENTRY_INVALID/);
      assert.ok(stderr.includes(JSON.stringify(name)), stderr);
    }
    // Listed correctly, but the archive carries an extra entry that is not.
    const extra = await craftTar([
      { name: 'ballast-bundle.json', data: manifestFor([{ name: chartName, data: chart }]) },
      { name: chartName, data: chart },
      { name: '../outside', data: evil },
    ]);
    await refused(extra, /entry "\.\.\/outside": is not listed in the manifest/);
    // A link in place of a blob.
    const link = await craftTar([
      { name: 'ballast-bundle.json', data: manifestFor([{ name: chartName, data: chart }]) },
      { name: chartName, type: 'symlink', linkname: '/etc/passwd' },
    ]);
    await refused(link, /is a symlink entry; a bundle holds regular files only/);
    // A document outside the prefixes a bundle may write.
    const outside = await craftTar([
      {
        name: 'ballast-bundle.json',
        data: manifestFor([{ name: 'docs/auth/tokens', data: evil }]),
      },
      { name: 'docs/auth/tokens', data: evil },
    ]);
    await refused(outside, /documents must be under repos\/, oci\/, files\//);
    for (const path of [join(work, 'evil'), join(dataB, '..', 'evil'), '/etc/evil', '/evil']) {
      await assert.rejects(stat(path), `${path} was not created`);
    }
  });

  test('not a bundle at all', async () => {
    await refused(Buffer.from('just some text, not a tar archive\n'.repeat(40)), /BALLAST_BUNDLE/);
  });

  test('the good bundle imports, and importing it again writes nothing', async () => {
    const file = join(work, 'good.tar');
    const first = await runBallastCli(['import', '--config', config, file]);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /1 blobs and 2 documents written/);
    const second = await runBallastCli(['import', '--config', config, file]);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /0 blobs and 0 documents written .*3 already there/);
    const check = await runBallastCli(['import', '--check', '--config', config, file]);
    assert.equal(check.code, 0);
    assert.match(check.stdout, /verified .*every digest matches/);
  });
});
