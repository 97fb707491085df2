import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import yaml from 'js-yaml';
import { isBallastError } from '../src/errors/ballast-error.ts';
import { validateChartUpload } from '../src/helm/chart-upload.ts';
import { createHelm, type HelmClient, helmMajors } from './support/helm.ts';
import { type TarEntry, tgzOf } from './support/tar-archive.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// What validateChartUpload accepts and refuses, held against what real Helm 3 and 4 load
// (`helm show chart` loads and validates the whole archive, subcharts included).

const chartYaml = 'apiVersion: v2\nname: demo\nversion: 1.2.3\n';
const chart = (extra: TarEntry[], text = chartYaml): TarEntry[] => [
  { name: 'demo/Chart.yaml', body: text },
  ...extra,
];

/** Archives Helm refuses to load: Ballast must refuse them too, before anyone can pull them. */
const helmRefuses: Record<string, TarEntry[]> = {
  'a version that is not SemVer': chart([], chartYaml.replace('1.2.3', '1.2.3.4')),
  'a dependency name or alias twice': chart(
    [],
    `${chartYaml}dependencies:\n- { name: a }\n- { name: b, alias: a }\n`,
  ),
  'a file directly in charts/': chart([{ name: 'demo/charts/README.md', body: 'x' }]),
  'a subchart directory without Chart.yaml': chart([
    { name: 'demo/charts/sub/values.yaml', body: 'a: 1\n' },
  ]),
  'a packaged subchart that is not gzip': chart([
    { name: 'demo/charts/sub/Chart.yaml', body: 'apiVersion: v2\nname: sub\nversion: 1.0.0\n' },
    { name: 'demo/charts/sub/charts/inner.tgz', body: 'not gzip' },
  ]),
  'Chart.yaml outside the chart directory': [{ name: 'Chart.yaml', body: chartYaml }],
  'paths under ./': [{ name: './demo/Chart.yaml', body: chartYaml }],
};

/** Archives Helm loads that Ballast still refuses, because unpacking or serving them is unsafe. */
const ballastStricter: Record<string, TarEntry[]> = {
  'a symbolic link out of the chart': chart([
    { name: 'demo/templates/x.yaml', type: 'symlink', linkname: '/etc/passwd' },
  ]),
  'a second top-level directory': chart([{ name: 'other/x.yaml', body: 'x' }]),
  'a directory not named after the chart': [{ name: 'other/Chart.yaml', body: chartYaml }],
  'Chart.yaml twice (Helm takes the last)': chart([
    { name: 'demo/Chart.yaml', body: chartYaml.replace('demo', 'evil') },
  ]),
  'apiVersion v3 (helm lint allows v1 and v2 only)': chart([], chartYaml.replace('v2', 'v3')),
  'a name with a space': [
    { name: 'my chart/Chart.yaml', body: chartYaml.replace('demo', 'my chart') },
  ],
};

for (const major of helmMajors) {
  describe(`chart uploads against Helm ${major}`, () => {
    let helm: HelmClient;
    let work: string;
    let counter = 0;

    before(async () => {
      helm = await createHelm(major);
      work = await tempDir(`upload-${major}`);
    });
    after(async () => {
      await helm?.dispose();
      if (work) await removeDir(work);
    });

    async function helmLoads(bytes: Buffer): Promise<Record<string, unknown> | undefined> {
      const file = join(work, `archive-${++counter}.tgz`);
      await writeFile(file, bytes);
      try {
        const { stdout } = await helm.run(['show', 'chart', file]);
        return yaml.load(stdout) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    }

    test('a chart helm package made, with subcharts, is accepted as Helm shows it', async () => {
      await helm.run(['create', 'demo'], { cwd: work });
      await helm.run(['create', 'sub'], { cwd: join(work, 'demo/charts') });
      await helm.run(['create', 'lib'], { cwd: work });
      await helm.run(['package', 'lib', '-d', join(work, 'demo/charts')], { cwd: work });
      const chartFile = join(work, 'demo/Chart.yaml');
      const text = await readFile(chartFile, 'utf8');
      await writeFile(chartFile, `${text}keywords: [a, b]\nmaintainers: [{ name: Ann }]\n`);
      await helm.run(['package', 'demo', '-d', work], { cwd: work });
      const file = join(work, 'demo-0.1.0.tgz');
      const bytes = await readFile(file);
      const valid = await validateChartUpload(bytes, { fileName: 'demo-0.1.0.tgz' });
      assert.equal(valid.name, 'demo');
      assert.equal(valid.version, '0.1.0');
      assert.deepEqual(valid.metadata, await helmLoads(bytes));
    });

    for (const [what, entries] of Object.entries(helmRefuses)) {
      test(`refused, as Helm refuses it: ${what}`, async () => {
        const bytes = await tgzOf(entries);
        assert.equal(await helmLoads(bytes), undefined, 'Helm refuses it');
        await assert.rejects(validateChartUpload(bytes), (error: unknown) =>
          isBallastError(error, 'BALLAST_CHART_INVALID'),
        );
      });
    }

    for (const [what, entries] of Object.entries(ballastStricter)) {
      test(`refused though Helm loads it: ${what}`, async () => {
        const bytes = await tgzOf(entries);
        assert.ok(await helmLoads(bytes), 'Helm loads it');
        await assert.rejects(validateChartUpload(bytes), (error: unknown) =>
          isBallastError(error, 'BALLAST_CHART_INVALID'),
        );
      });
    }
  });
}
