import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { type TarEntry, tarOf, tgzOf } from '../../test/support/tar-archive.ts';
import { isBallastError } from '../errors/ballast-error.ts';
import { validateChartUpload } from './chart-upload.ts';

const chartYaml = 'apiVersion: v2\nname: demo\nversion: 1.2.3\n';

/** Resolves to the accepted chart, or undefined when refused with BALLAST_CHART_INVALID. */
async function outcome(bytes: Buffer) {
  try {
    return await validateChartUpload(bytes);
  } catch (error) {
    if (isBallastError(error, 'BALLAST_CHART_INVALID')) return undefined;
    throw error;
  }
}

/** Names a chart may hold, and names that try something; the harmless come up more often. */
const names = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      'demo/values.yaml',
      'demo/templates/a.yaml',
      'demo/',
      'demo//templates/b.yaml',
      'demo/./c.yaml',
      'demo/charts/_skip/x',
      'demo/charts/sub/Chart.yaml',
    ),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'demo/Chart.yaml',
      './demo/Chart.yaml',
      'demo/../escape',
      '../escape',
      '/etc/passwd',
      'C:/evil',
      'demo\\..\\escape',
      'other/a.yaml',
      'Chart.yaml',
      'demo/charts/sub/values.yaml',
      'demo/charts/sub.tgz',
    ),
  },
);
const entry: fc.Arbitrary<TarEntry> = fc.record({
  name: names,
  type: fc.constantFrom(
    'file',
    'file',
    'file',
    'file',
    'directory',
    'symlink',
    'link',
  ) as fc.Arbitrary<TarEntry['type']>,
  linkname: fc.constantFrom('/etc/passwd', '../values.yaml', 'demo/values.yaml'),
  body: fc.constantFrom('apiVersion: v2\nname: sub\nversion: 1.0.0\n', 'name: [', ''),
});

describe('validateChartUpload properties', () => {
  it('accepts only archives whose every entry is a file or directory under demo/', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(entry, { maxLength: 5 }), fc.nat(), async (entries, at) => {
        const chartAt = at % (entries.length + 1);
        entries.splice(chartAt, 0, { name: 'demo/Chart.yaml', type: 'file', body: chartYaml });
        const shaped = entries.map(
          (e): TarEntry =>
            e.type === 'file'
              ? { name: e.name, type: 'file', body: e.body }
              : { ...e, body: undefined },
        );
        const valid = await outcome(await tgzOf(shaped));
        if (!valid) return;
        accepted += 1;
        for (const { name, type } of shaped) {
          assert.ok(type === 'file' || type === 'directory', `${name} is a ${type}`);
          const parts = name.split('/').filter((p) => p !== '');
          assert.equal(parts[0], 'demo', name);
          assert.ok(!parts.includes('..') && !name.includes('\\'), name);
        }
      }),
      { numRuns: 300 },
    );
    assert.ok(accepted > 0, 'some archives were accepted, so the property was tested');
  });

  it('takes corrupted or truncated archives, or refuses them with BALLAST_CHART_INVALID: never another error', async () => {
    const tar = await tarOf([
      { name: 'demo/Chart.yaml', body: chartYaml },
      { name: 'demo/values.yaml', body: 'replicaCount: 1\n' },
      { name: 'demo/templates/cm.yaml', body: 'kind: ConfigMap\n' },
    ]);
    const gz = gzipSync(tar);
    const edit = fc.record({
      inTar: fc.boolean(),
      at: fc.nat(),
      byte: fc.integer({ min: 0, max: 255 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(edit, { minLength: 1, maxLength: 4 }), async (edits) => {
        const bytes = { tar: Buffer.from(tar), gz: Buffer.from(gz) };
        for (const { inTar, at, byte } of edits) {
          const target = inTar ? bytes.tar : bytes.gz;
          target[at % target.length] = byte;
        }
        const cut = edits[0]?.cut;
        let upload = edits.some((e) => e.inTar) ? gzipSync(bytes.tar) : bytes.gz;
        if (cut !== undefined) upload = upload.subarray(0, cut % upload.length);
        await outcome(upload);
      }),
      { numRuns: 300 },
    );
  });
});
