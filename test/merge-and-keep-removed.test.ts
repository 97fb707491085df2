import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo } from './support/classic-repo.ts';
import { createHelm } from './support/helm.ts';
import { eventually, httpRequest } from './support/http.ts';
import { startStaticServer } from './support/static-server.ts';

type Index = { entries: Record<string, { version: string; digest: string; urls: string[] }[]> };

const versionsOf = async (url: string) => {
  const index = JSON.parse((await httpRequest(url)).body.toString()) as Index;
  return Object.values(index.entries)
    .flat()
    .map((e) => e.version)
    .sort();
};

test('merge: true serves the union of all upstreams, the first upstream winning a conflict', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-merge-'));
  const first = await buildClassicRepo(join(dir, 'first'), {
    charts: [{ chart: 'demo-app', versions: ['1.0.0', '2.0.0'] }],
  });
  // The second upstream publishes 2.0.0 as a different archive (another app version), and 3.0.0.
  const second = await buildClassicRepo(join(dir, 'second'), {
    charts: [{ chart: 'demo-app', versions: ['2.0.0', '3.0.0'], appVersion: 'other' }],
  });
  await using one = await startStaticServer({ root: first.dir });
  await using two = await startStaticServer({ root: second.dir });
  await using ballast = await startBallastProcess({
    repos: [{ name: 'merged', merge: true, upstreams: [{ url: one.url }, { url: two.url }] }],
  });
  assert.deepEqual(await versionsOf(`${ballast.url}/merged/index.yaml`), [
    '1.0.0',
    '2.0.0',
    '3.0.0',
  ]);
  const index = JSON.parse(
    (await httpRequest(`${ballast.url}/merged/index.yaml`)).body.toString(),
  ) as Index;
  const conflict = index.entries['demo-app']?.find((e) => e.version === '2.0.0');
  assert.equal(conflict?.digest, first.charts.find((c) => c.version === '2.0.0')?.digest);

  await using helm = await createHelm(4);
  await helm.run(['repo', 'add', 'merged', `${ballast.url}/merged`]);
  const dest = await mkdtemp(join(dir, 'pull-'));
  await helm.run(['pull', 'merged/demo-app', '--version', '3.0.0', '-d', dest]);
  await helm.run(['pull', 'merged/demo-app', '--version', '1.0.0', '-d', dest]);
});

test('guard.keepRemoved keeps serving removed versions whose charts are cached, and only those', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-keep-'));
  const repo = await buildClassicRepo(join(dir, 'upstream'), {
    charts: [{ chart: 'demo-app', versions: ['1.0.0', '1.1.0', '1.2.0', '2.0.0'] }],
  });
  await cp(repo.indexPath, join(dir, 'full-index.yaml'));
  await using upstream = await startStaticServer({ root: repo.dir });
  await using ballast = await startBallastProcess({
    repos: [
      {
        name: 'kept',
        upstreams: [{ url: upstream.url }],
        refresh: '0s',
        guard: { maxShrink: '60%', keepRemoved: true },
      },
    ],
  });
  const base = `${ballast.url}/kept`;
  assert.deepEqual(await versionsOf(`${base}/index.yaml`), ['1.0.0', '1.1.0', '1.2.0', '2.0.0']);
  assert.equal((await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`)).status, 200); // now cached

  // The upstream drops 1.0.0 (cached) and 1.1.0 (never fetched).
  const full = yaml.load(await readFile(join(dir, 'full-index.yaml'), 'utf8')) as Index;
  full.entries['demo-app'] = (full.entries['demo-app'] ?? []).filter(
    (e) => !['1.0.0', '1.1.0'].includes(e.version),
  );
  await writeFile(repo.indexPath, yaml.dump(full));
  await eventually(async () => {
    assert.deepEqual(await versionsOf(`${base}/index.yaml`), ['1.0.0', '1.2.0', '2.0.0']);
  });
  assert.equal((await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`)).status, 200);
  assert.equal((await httpRequest(`${base}/charts/demo-app-1.1.0.tgz`)).status, 404);
  await using helm = await createHelm(3);
  await helm.run(['repo', 'add', 'kept', base]);
  await helm.run([
    'pull',
    'kept/demo-app',
    '--version',
    '1.0.0',
    '-d',
    await mkdtemp(join(dir, 'pull-')),
  ]);
});
