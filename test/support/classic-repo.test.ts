import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  buildClassicRepo,
  fixtureChartsDir,
  syntheticIndex,
  writeSyntheticIndex,
} from './classic-repo.ts';
import { createHelm, helmMajors } from './helm.ts';
import { startNginx } from './nginx.ts';
import { startStaticServer } from './static-server.ts';
import { tempDir } from './temp-dir.ts';

const sha256 = async (file: string) =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

for (const major of helmMajors) {
  test(`the fixture charts pass Helm ${major} lint and render with helm template`, async () => {
    await using helm = await createHelm(major);
    const charts = ['demo-app', 'demo-config', 'demo-lib'].map((c) => join(fixtureChartsDir, c));
    await helm.run(['lint', '--strict', ...charts]);
    const app = await helm.run(['template', 'web', charts[0] as string, '--set', 'replicaCount=3']);
    assert.match(app.stdout, /kind: Deployment[\s\S]*replicas: 3/);
    assert.match(app.stdout, /kind: Service/);
    const config = await helm.run(['template', 'cfg', charts[1] as string]);
    assert.match(config.stdout, /kind: ConfigMap[\s\S]*GREETING: "hello"/);
    // values.schema.json is enforced.
    await assert.rejects(
      helm.run(['template', 'cfg', charts[1] as string, '--set', 'logLevel=loud']),
      /logLevel/,
    );
  });
}

test('buildClassicRepo packages and indexes with real Helm; both clients install from it', async (t) => {
  const dir = await tempDir('classic-repo', t);
  await using nginx = await startNginx({ root: dir, gzip: true });
  const repo = await buildClassicRepo(dir, {
    charts: [
      { chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0'] },
      { chart: 'demo-lib', versions: ['0.1.0'] },
    ],
    baseUrl: `${nginx.url}/`,
  });
  assert.equal(repo.indexPath, join(dir, 'index.yaml'));
  assert.deepEqual(
    repo.charts.map((c) => `${c.name}@${c.version}`),
    ['demo-app@1.0.0', 'demo-app@0.2.0', 'demo-app@0.1.0', 'demo-lib@0.1.0'],
  );
  for (const chart of repo.charts) {
    assert.equal(chart.digest, await sha256(chart.path));
    assert.equal(chart.url, `${nginx.url}/${chart.name}-${chart.version}.tgz`);
  }

  // Publishing more later re-indexes everything in the folder.
  const more = await buildClassicRepo(dir, {
    charts: [{ chart: 'demo-config', versions: ['2.0.0'] }],
  });
  assert.equal(more.charts.length, 5);
  assert.ok(
    more.charts.every((c) => !c.url.includes('://')),
    'relative URLs without baseUrl',
  );

  for (const major of helmMajors) {
    await using helm = await createHelm(major);
    await helm.run(['repo', 'add', 'fixtures', nginx.url]);
    const found = await helm.run(['search', 'repo', 'fixtures/', '--versions', '-o', 'json']);
    const versions = JSON.parse(found.stdout).map(
      (c: { name: string; version: string }) => `${c.name}@${c.version}`,
    );
    assert.equal(versions.length, 5);
    assert.ok(versions.includes('fixtures/demo-app@0.2.0'));
    const out = await tempDir(`pull-${major}`, t);
    await helm.run(['pull', 'fixtures/demo-app', '--version', '0.2.0', '--destination', out]);
    const pulled = join(out, 'demo-app-0.2.0.tgz');
    assert.equal(await sha256(pulled), repo.charts[1]?.digest);
    const rendered = await helm.run(['template', 'web', pulled]);
    assert.match(rendered.stdout, /image: "registry\.example\.com\/demo-app:0\.2\.0"/);
  }
});

test('a synthetic index is in Helm layout and both clients accept all of it', async (t) => {
  const dir = await tempDir('synthetic', t);
  const options = { charts: 7, versions: 2000, baseUrl: 'https://charts.example.com/' };
  await writeSyntheticIndex(join(dir, 'index.yaml'), options);
  const text = await readFile(join(dir, 'index.yaml'), 'utf8');
  assert.equal(text, syntheticIndex(options));
  assert.equal(text.match(/^ {4}digest: [0-9a-f]{64}$/gm)?.length, 2000);
  assert.match(text, /^ {2}synthetic-0:\n {2}- apiVersion: v2\n {4}appVersion: 0\.2\.86\n/m);
  assert.match(text, /^ {4}- https:\/\/charts\.example\.com\/synthetic-6-0\.0\.1\.tgz$/m);

  await using server = await startStaticServer({ root: dir });
  for (const major of helmMajors) {
    await using helm = await createHelm(major);
    await helm.run(['repo', 'add', 'synthetic', server.url]);
    const found = await helm.run(['search', 'repo', 'synthetic/', '--versions', '-o', 'json']);
    const entries: { name: string; version: string }[] = JSON.parse(found.stdout);
    assert.equal(entries.length, 2000);
    assert.equal(new Set(entries.map((e) => e.name)).size, 7);
  }
});
