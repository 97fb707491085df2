import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { tgzOf as archive } from '../../test/support/tar-archive.ts';
import { isBallastError } from '../errors/ballast-error.ts';
import {
  chartMetadataFromYaml,
  defaultChartArchiveLimits,
  readChartArchiveMetadata,
} from './chart-archive-metadata.ts';

const chartYaml = 'apiVersion: v2\nname: demo\nversion: 1.2.3\ndescription: A demo\n';
const refuses = async (bytes: Uint8Array, pattern: RegExp, limits = defaultChartArchiveLimits) =>
  assert.rejects(
    readChartArchiveMetadata(bytes, { what: 'demo.tgz', limits }),
    (error: unknown) => {
      assert.ok(isBallastError(error, 'BALLAST_OCI_CHART_INVALID'), String(error));
      assert.match(
        error.message,
        /^chart archive demo.tgz is not a chart Ballast can serve over OCI: /,
      );
      assert.match(error.message, pattern);
      return true;
    },
  );

describe('readChartArchiveMetadata', () => {
  it('reads <dir>/Chart.yaml, not a subchart one, from bytes or a stream', async () => {
    const bytes = await archive([
      { name: 'demo/charts/sub/Chart.yaml', body: 'apiVersion: v2\nname: sub\nversion: 9.9.9\n' },
      { name: 'demo/values.yaml', body: 'a: 1\n' },
      { name: 'demo/Chart.yaml', body: chartYaml },
    ]);
    const expected = { apiVersion: 'v2', name: 'demo', version: '1.2.3', description: 'A demo' };
    assert.deepEqual(await readChartArchiveMetadata(bytes), expected);
    const halves = [bytes.subarray(0, 40), bytes.subarray(40)];
    assert.deepEqual(
      await readChartArchiveMetadata(
        (async function* () {
          yield* halves;
        })(),
      ),
      expected,
    );
  });

  it('refuses archives that are not charts or are hostile', async () => {
    await refuses(Buffer.from('plain text'), /not valid gzip/);
    await refuses(
      gzipSync(Buffer.from('not a tar at all, just text '.repeat(40))),
      /not a readable tar/,
    );
    await refuses(
      await archive([{ name: 'demo/values.yaml', body: 'a: 1' }]),
      /no <chart>\/Chart.yaml/,
    );
    await refuses(await archive([{ name: 'demo/../../etc/passwd', body: 'x' }]), /steps outside/);
    await refuses(await archive([{ name: '/abs/Chart.yaml', body: chartYaml }]), /absolute path/);
    await refuses(
      await archive([{ name: 'demo/Chart.yaml', type: 'symlink', linkname: '/etc/passwd' }]),
      /not a regular file/,
    );
    await refuses(await archive([{ name: 'demo/Chart.yaml', body: 'name: demo\n' }]), /no version/);
    await refuses(
      await archive([{ name: 'demo/Chart.yaml', body: 'name: [demo\n' }]),
      /not valid YAML/,
    );
  });

  it('stops a gzip bomb, a flood of entries and a huge Chart.yaml at their limits', async () => {
    const limits = { maxUnpackedBytes: 1024 * 1024, maxEntries: 10, maxChartYamlBytes: 1024 };
    const bomb = await archive([
      { name: 'demo/zeros', body: Buffer.alloc(8 * 1024 * 1024) },
      { name: 'demo/Chart.yaml', body: chartYaml },
    ]);
    assert.ok(bomb.length < 64 * 1024, 'the bomb is small when packed');
    await refuses(bomb, /unpacks to more than 1048576 bytes/, limits);
    const flood = await archive(
      Array.from({ length: 20 }, (_, i) => ({ name: `demo/file-${i}`, body: 'x' })),
    );
    await refuses(flood, /more than 10 entries/, limits);
    const big = await archive([
      { name: 'demo/Chart.yaml', body: `${chartYaml}#${'x'.repeat(2000)}\n` },
    ]);
    await refuses(big, /larger than 1024 bytes/, limits);
  });
});

describe('chartMetadataFromYaml', () => {
  it('reads scalars as Helm does and drops what Helm does not know', () => {
    const metadata = chartMetadataFromYaml(
      [
        'apiVersion: v2',
        'name: demo',
        'version: 1.10',
        'deprecated: yes',
        'unknownField: 1',
        'keywords: [a, b]',
        'annotations: { category: Infra, empty: ~ }',
        'dependencies:',
        '- name: lib',
        '  version: 1.x',
        '  enabled: "false"',
        '  import-values: [{ child: a, parent: b }]',
        'maintainers: [{ name: Ann, email: ann@example.com }]',
      ].join('\n'),
    );
    assert.deepEqual(metadata, {
      apiVersion: 'v2',
      name: 'demo',
      version: '1.10',
      deprecated: true,
      keywords: ['a', 'b'],
      annotations: { category: 'Infra', empty: '' },
      dependencies: [
        { name: 'lib', version: '1.x', 'import-values': [{ child: 'a', parent: 'b' }] },
      ],
      maintainers: [{ name: 'Ann', email: 'ann@example.com' }],
    });
  });

  it('refuses an alias bomb', () => {
    const lines = ['name: demo', 'version: 1.0.0', 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i++)
      lines.push(
        `a${i}: &a${i} [${Array(10)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    lines.push('dependencies: [{ name: d, import-values: *a8 }]');
    assert.throws(() => chartMetadataFromYaml(lines.join('\n')), /alias bomb/);
  });
});
