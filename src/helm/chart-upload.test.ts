import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { createGzip, gzipSync } from 'node:zlib';
import { pack } from 'tar-stream';
import { type TarEntry, tarOf, tgzOf } from '../../test/support/tar-archive.ts';
import { isBallastError } from '../errors/ballast-error.ts';
import { type ChartUploadOptions, validateChartUpload } from './chart-upload.ts';

const chartYaml = 'apiVersion: v2\nname: demo\nversion: 1.2.3\ndescription: A demo\n';
const chart = (extra: TarEntry[] = [], yaml = chartYaml) =>
  tgzOf([
    { name: 'demo/Chart.yaml', body: yaml },
    { name: 'demo/values.yaml', body: 'replicaCount: 1\n' },
    ...extra,
  ]);
const withYaml = (change: (yaml: string) => string) => chart([], change(chartYaml));

async function refused(bytes: Buffer, pattern: RegExp, options: ChartUploadOptions = {}) {
  await assert.rejects(validateChartUpload(bytes, options), (error: unknown) => {
    assert.ok(isBallastError(error, 'BALLAST_CHART_INVALID'), String(error));
    assert.equal(error.status, 400);
    assert.match(error.message, /^chart refused, nothing was stored: /);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('validateChartUpload: charts Helm loads', () => {
  it('accepts a chart and returns what the index will say, with a digest of the bytes', async () => {
    const bytes = await chart([
      { name: 'demo/', type: 'directory' },
      { name: 'demo/templates/cm.yaml', body: 'kind: ConfigMap\n' },
    ]);
    const valid = await validateChartUpload(bytes, { fileName: 'demo-1.2.3.tgz' });
    assert.deepEqual(valid, {
      name: 'demo',
      version: '1.2.3',
      metadata: { apiVersion: 'v2', name: 'demo', version: '1.2.3', description: 'A demo' },
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
    });
  });

  it('reads Chart.yaml as Helm loads it: apiVersion v1 when missing, strings sanitised', async () => {
    const yaml = 'name: demo\nversion: v1.2.3\ndescription: "two\\tparts\\u0007"\n';
    const { metadata, version } = await validateChartUpload(await chart([], yaml));
    assert.equal(version, 'v1.2.3');
    assert.deepEqual(metadata, {
      apiVersion: 'v1',
      name: 'demo',
      version: 'v1.2.3',
      description: 'two parts',
    });
  });

  it('accepts subcharts, packaged and unpacked, and skips what Helm skips in charts/', async () => {
    const lib = await tgzOf([
      {
        name: 'lib/Chart.yaml',
        body: 'apiVersion: v2\nname: lib\nversion: 0.1.0\ntype: library\n',
      },
    ]);
    const bytes = await chart([
      { name: 'demo/charts/lib-0.1.0.tgz', body: lib },
      { name: 'demo/charts/sub/Chart.yaml', body: 'apiVersion: v2\nname: sub\nversion: 1.0.0\n' },
      { name: 'demo/charts/sub/templates/a.yaml', body: 'a: 1\n' },
      { name: 'demo/charts/.gitkeep', body: '' },
      { name: 'demo/charts/lib-0.1.0.tgz.prov', body: 'signature' },
    ]);
    assert.equal((await validateChartUpload(bytes)).name, 'demo');
  });
});

describe('validateChartUpload: refusals', () => {
  it('refuses an upload over maxBytes with 413', async () => {
    const bytes = await chart();
    await assert.rejects(
      validateChartUpload(bytes, { limits: { maxBytes: bytes.length - 1 } }),
      (error: unknown) =>
        isBallastError(error, 'BALLAST_UPLOAD_TOO_LARGE') &&
        error.status === 413 &&
        error.message.includes(`${bytes.length - 1} bytes`),
    );
  });

  it('refuses names that do not match: file name, top-level directory', async () => {
    await refused(await chart(), /named "other-1.2.3.tgz".*demo-1.2.3.tgz/, {
      fileName: 'other-1.2.3.tgz',
    });
    await refused(await chart(), /named "demo-1.2.4.tgz"/, { fileName: 'demo-1.2.4.tgz' });
    await refused(
      await tgzOf([{ name: 'other/Chart.yaml', body: chartYaml }]),
      /top-level directory is "other" but Chart.yaml names the chart "demo"/,
    );
  });

  it('refuses a Chart.yaml Helm refuses', async () => {
    await refused(await withYaml((y) => y.replace('1.2.3', '1.2.3.4')), /version "1.2.3.4"/);
    await refused(await withYaml((y) => y.replace('1.2.3', '1.0.0-01')), /version "1.0.0-01"/);
    await refused(await withYaml((y) => y.replace('1.2.3', 'latest')), /version "latest"/);
    await refused(await withYaml((y) => y.replace('version: 1.2.3\n', '')), /has no version/);
    await refused(await withYaml((y) => y.replace('v2', 'v3')), /apiVersion "v3" is not v1 or v2/);
    await refused(
      await withYaml((y) => `${y}type: plugin\n`),
      /type must be application or library/,
    );
    await refused(await chart([], 'name: [demo\n'), /not valid YAML/);
    await refused(
      await tgzOf([{ name: 'my chart/Chart.yaml', body: chartYaml.replace('demo', 'my chart') }]),
      /name "my chart" is invalid/,
    );
    const deps = (list: string) => withYaml((y) => `${y}dependencies:\n${list}`);
    await refused(await deps('- { name: a, alias: "b c" }\n'), /alias "b c" is invalid/);
    await refused(
      await deps('- { name: a }\n- { name: b, alias: a }\n'),
      /more than one dependency with name or alias "a"/,
    );
  });

  it('refuses path tricks: traversal, absolute paths, backslashes, NUL', async () => {
    await refused(
      await chart([{ name: 'demo/../../etc/passwd', body: 'x' }]),
      /steps outside the chart/,
    );
    await refused(await chart([{ name: '../evil', body: 'x' }]), /steps outside the chart/);
    await refused(await chart([{ name: '/etc/cron.d/evil', body: 'x' }]), /absolute path/);
    await refused(await chart([{ name: 'C:/evil', body: 'x' }]), /absolute path/);
    await refused(await chart([{ name: 'demo\\..\\..\\evil', body: 'x' }]), /backslash/);
    await refused(await chart([{ name: 'demo/a\0b', pax: {}, body: 'x' }]), /contains NUL/);
  });

  it('refuses links, wherever they point, and special files', async () => {
    const outside = {
      name: 'demo/templates/x.yaml',
      type: 'symlink',
      linkname: '/etc/passwd',
    } as const;
    await refused(
      await chart([outside]),
      /"demo\/templates\/x.yaml" is a symbolic link \(to "\/etc\/passwd"\)/,
    );
    await refused(await chart([{ ...outside, linkname: '../values.yaml' }]), /symbolic link/);
    await refused(
      await chart([{ name: 'demo/copy.yaml', type: 'link', linkname: 'demo/values.yaml' }]),
      /is a hard link/,
    );
    await refused(
      await chart([{ name: 'demo/pipe', type: 'fifo' }]),
      /is a fifo, not a file or directory/,
    );
    await refused(
      await chart([{ name: 'demo/tty', type: 'character-device' }]),
      /character-device/,
    );
    const sparse = await tarOf([{ name: 'demo/Chart.yaml', body: chartYaml }]);
    withTypeFlag(sparse, 'S'); // a GNU sparse file, which tar-stream does not know
    await refused(gzipSync(sparse), /tar type flag Ballast does not know/);
  });

  it('refuses a layout that is not one chart directory', async () => {
    await refused(
      await chart([{ name: 'other/x.yaml', body: 'x' }]),
      /more than one top-level directory \("demo" and "other"\)/,
    );
    await refused(
      await tgzOf([{ name: 'Chart.yaml', body: chartYaml }]),
      /outside the chart's directory/,
    );
    await refused(
      await tgzOf([{ name: './demo/Chart.yaml', body: chartYaml }]),
      /no \.\/Chart.yaml: not a chart/,
    );
    await refused(
      await tgzOf([{ name: 'demo/values.yaml', body: 'a: 1\n' }]),
      /no demo\/Chart.yaml/,
    );
    await refused(await tgzOf([]), /the archive is empty/);
    await refused(
      await chart([{ name: 'demo/Chart.yaml', body: chartYaml.replace('demo', 'evil') }]),
      /"demo\/Chart.yaml" appears twice/,
    );
  });

  it('refuses subcharts Helm would fail to load', async () => {
    await refused(
      await chart([{ name: 'demo/charts/sub/values.yaml', body: 'a: 1\n' }]),
      /demo\/charts\/sub is in charts\/.*no Chart.yaml/,
    );
    await refused(
      await chart([{ name: 'demo/charts/README.md', body: 'x' }]),
      /charts\/README.md .*no Chart.yaml/,
    );
    await refused(
      await chart([
        { name: 'demo/charts/sub/Chart.yaml', body: 'apiVersion: v2\nname: sub\nversion: x\n' },
      ]),
      /demo\/charts\/sub\/Chart.yaml: version "x"/,
    );
    const badLib = await tgzOf([{ name: 'lib/Chart.yaml', body: 'apiVersion: v2\nname: lib\n' }]);
    await refused(
      await chart([{ name: 'demo/charts/lib.tgz', body: badLib }]),
      /subchart demo\/charts\/lib.tgz: lib\/Chart.yaml: .*no version/,
    );
    const evilLib = await tgzOf([
      { name: 'lib/Chart.yaml', type: 'symlink', linkname: '/etc/passwd' },
    ]);
    await refused(
      await chart([{ name: 'demo/charts/lib.tgz', body: evilLib }]),
      /subchart .*symbolic link/,
    );
  });

  it('refuses what is not a gzip tar, and truncated archives', async () => {
    const whole = await chart([
      {
        name: 'demo/big.bin',
        body: createHash('sha512').update('x').digest().toString('hex').repeat(200),
      },
    ]);
    await refused(await tarOf([{ name: 'demo/Chart.yaml', body: chartYaml }]), /not valid gzip/);
    await refused(gzipSync('not a tar at all, just text '.repeat(40)), /not a readable tar/);
    await refused(
      whole.subarray(0, Math.floor(whole.length / 2)),
      /truncated: the gzip stream ends early/,
    );
    const tar = await tarOf([
      { name: 'demo/Chart.yaml', body: chartYaml },
      { name: 'demo/big.bin', body: Buffer.alloc(4096, 1) },
    ]);
    await refused(
      gzipSync(tar.subarray(0, 512 * 3 + 100)),
      /truncated: the tar ends inside an entry/,
    );
  });

  it('stops a gzip bomb, an over-large file and a flood of entries at the limits', async () => {
    const bomb = await gzipBomb(30, 4 * 1024 * 1024);
    assert.ok(bomb.length < 1024 * 1024, `the bomb is ${bomb.length} bytes packed`);
    const started = performance.now();
    await refused(bomb, /the archive unpacks to more than 104857600 bytes/);
    assert.ok(performance.now() - started < 10_000, 'refused while unpacking, in bounded time');
    await refused(
      await chart([{ name: 'demo/big.bin', body: Buffer.alloc(5 * 1024 * 1024 + 1) }]),
      /demo\/big.bin is larger than 5242880 bytes, Helm's limit for one file/,
    );
    const flood = await chart(
      Array.from({ length: 20 }, (_, i) => ({ name: `demo/f-${i}`, body: 'x' })),
    );
    await refused(flood, /more than 10 entries/, { limits: { maxEntries: 10 } });
  });
});

/** `files` entries of `size` zero bytes under demo/, gzip'd as they are made (never whole). */
async function gzipBomb(files: number, size: number): Promise<Buffer> {
  const tar = pack();
  const chunks: Buffer[] = [];
  const packing = pipeline(
    tar,
    createGzip({ level: 1 }),
    async (gzipped: AsyncIterable<Buffer>) => {
      for await (const chunk of gzipped) chunks.push(chunk);
    },
  );
  const zeros = Buffer.alloc(size);
  tar.entry({ name: 'demo/Chart.yaml' }, chartYaml);
  for (let i = 0; i < files; i++) {
    await new Promise<void>((resolve, reject) =>
      tar.entry({ name: `demo/zeros-${i}` }, zeros, (error) => (error ? reject(error) : resolve())),
    );
  }
  tar.finalize();
  await packing;
  return Buffer.concat(chunks);
}

/** Rewrites the type flag of the tar's first header, and its checksum to match. */
function withTypeFlag(tar: Buffer, flag: string): void {
  tar.write(flag, 156, 'latin1');
  tar.fill(' ', 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += tar[i] as number;
  tar.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
}
