import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { tempDir } from '../test/support/temp-dir.ts';
import { buildChartArchive } from './chart-archive.ts';

test('builds a chart archive of the wanted size that GNU tar lists and extracts', async (t) => {
  const archive = buildChartArchive({ name: 'demo', version: '1.2.3', targetBytes: 60 * 1024 });
  assert.ok(Math.abs(archive.length - 60 * 1024) <= 64, `size ${archive.length}`);
  assert.deepEqual(
    buildChartArchive({ name: 'demo', version: '1.2.3', targetBytes: 60 * 1024 }),
    archive,
  );

  const dir = await tempDir('bench-archive', t);
  const file = join(dir, 'demo-1.2.3.tgz');
  await writeFile(file, archive);
  const listing = execFileSync('tar', ['-tzf', file], { encoding: 'utf8' }).trim().split('\n');
  assert.deepEqual(listing, ['demo/Chart.yaml', 'demo/values.yaml', 'demo/files/payload.bin']);
  const chartYaml = execFileSync('tar', ['-xzOf', file, 'demo/Chart.yaml'], { encoding: 'utf8' });
  assert.match(chartYaml, /^name: demo$/m);
  assert.match(chartYaml, /^version: 1\.2\.3$/m);
  // The payload is what makes it large: it must not compress.
  assert.ok(gunzipSync(archive).length < archive.length + 4096);
});
