import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { httpRequest } from './support/http.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

type Index = { entries: Record<string, { version: string; urls: string[]; digest: string }[]> };
const versionsOf = (index: Index) =>
  Object.fromEntries(
    Object.entries(index.entries).map(([chart, list]) => [chart, list.map((e) => e.version)]),
  );

describe('index views', () => {
  let workDir: string;
  let upstream: ClassicRepo;
  let server: StaticServer;
  let ballast: BallastProcess;
  let full: Index;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ballast-views-'));
    upstream = await buildClassicRepo(join(workDir, 'upstream'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0', '1.1.0', '2.0.0'] },
        { chart: 'demo-config', versions: ['2.0.0'] },
      ],
    });
    server = await startStaticServer({ root: upstream.dir });
    ballast = await startBallastProcess({
      repos: [
        {
          name: 'demo',
          upstreams: [{ url: server.url }],
          views: [{ name: 'ci', charts: ['demo-app'], versions: '>=1.0.0 <2', latest: 1 }],
        },
      ],
    });
    full = JSON.parse((await httpRequest(`${ballast.url}/demo/index.yaml`)).body.toString());
  });

  after(async () => {
    await ballast?.stop();
    await server?.stop();
  });

  test('a query keeps the charts and versions it names, entries exactly as in the full index', async () => {
    const indexRequests = () => server.requests.filter((r) => r.path === '/index.yaml').length;
    const before = indexRequests();
    const url = `${ballast.url}/demo/index.yaml?charts=demo-app&versions=${encodeURIComponent('>=0.2.0, <2')}`;
    const response = await httpRequest(url);
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-length'], String(response.body.length));
    const view = JSON.parse(response.body.toString()) as Index;
    assert.deepEqual(versionsOf(view), { 'demo-app': ['1.1.0', '1.0.0', '0.2.0'] });
    for (const entry of view.entries['demo-app'] ?? []) {
      const same = full.entries['demo-app']?.find((e) => e.version === entry.version);
      assert.deepEqual(entry, same);
    }
    assert.equal(indexRequests(), before, 'a view costs no upstream request');
    const again = await httpRequest(url, {
      headers: { 'if-none-match': response.headers.etag ?? '' },
    });
    assert.equal(again.status, 304);
    assert.notEqual(
      response.headers.etag,
      (await httpRequest(`${ballast.url}/demo/index.yaml`)).headers.etag,
    );
    const gz = await httpRequest(url, { headers: { 'accept-encoding': 'gzip' } });
    assert.deepEqual(gunzipSync(gz.body), response.body);
  });

  test('latest=N keeps the newest N versions of each chart', async () => {
    const response = await httpRequest(`${ballast.url}/demo/index.yaml?latest=2`);
    assert.deepEqual(versionsOf(JSON.parse(response.body.toString())), {
      'demo-app': ['2.0.0', '1.1.0'],
      'demo-config': ['2.0.0'],
    });
  });

  test('a named view is a repository of its own, its charts at the same URLs', async () => {
    const response = await httpRequest(`${ballast.url}/demo/ci/index.yaml`);
    assert.equal(response.status, 200);
    const view = JSON.parse(response.body.toString()) as Index;
    assert.deepEqual(versionsOf(view), { 'demo-app': ['1.1.0'] });
    const chart = await httpRequest(
      `${ballast.url}/demo/ci/${view.entries['demo-app']?.[0]?.urls[0]}`,
    );
    assert.equal(chart.status, 200);
    const digest = upstream.charts.find(
      (c) => c.name === 'demo-app' && c.version === '1.1.0',
    )?.digest;
    assert.equal(createHash('sha256').update(chart.body).digest('hex'), digest);
    const missing = await httpRequest(`${ballast.url}/demo/nope/index.yaml`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.toString(), /BALLAST_VIEW_NOT_FOUND/);
  });

  test('bad parameters get 400 with the reason', async () => {
    const cases: [string, RegExp][] = [
      ['versions=not-a-range', /not a semver range/],
      ['latest=0', /"latest" must be a whole number/],
      ['latest=abc', /"latest" must be a whole number/],
      ['charts=', /comma-separated list/],
      ['color=blue', /unknown parameter "color"/],
      ['latest=1&latest=2', /more than once/],
    ];
    for (const [query, reason] of cases) {
      const response = await httpRequest(`${ballast.url}/demo/index.yaml?${query}`);
      assert.equal(response.status, 400, query);
      const { error } = JSON.parse(response.body.toString()) as {
        error: { code: string; message: string };
      };
      assert.equal(error.code, 'BALLAST_VIEW_INVALID', query);
      assert.match(error.message, reason, query);
    }
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: repo add with a query, search and pull see only the view`, async () => {
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'mine', `${ballast.url}/demo?charts=demo-app&latest=2`]);
      await helm.run(['repo', 'update']);
      const search = (await helm.run(['search', 'repo', 'mine/', '--versions', '-o', 'json']))
        .stdout;
      const found = (JSON.parse(search) as { name: string; version: string }[])
        .map((r) => `${r.name}@${r.version}`)
        .sort();
      assert.deepEqual(found, ['mine/demo-app@1.1.0', 'mine/demo-app@2.0.0']);
      const dest = await mkdtemp(join(workDir, `pull-helm${major}-`));
      await helm.run(['pull', 'mine/demo-app', '--version', '2.0.0', '-d', dest]);
      const pulled = await readFile(join(dest, 'demo-app-2.0.0.tgz'));
      const digest = upstream.charts.find(
        (c) => c.name === 'demo-app' && c.version === '2.0.0',
      )?.digest;
      assert.equal(createHash('sha256').update(pulled).digest('hex'), digest);
      await helm.run(['repo', 'add', 'ci', `${ballast.url}/demo/ci`]);
      const ci = (await helm.run(['search', 'repo', 'ci/', '--versions', '-o', 'json'])).stdout;
      assert.deepEqual(
        (JSON.parse(ci) as { name: string; version: string }[]).map(
          (r) => `${r.name}@${r.version}`,
        ),
        ['ci/demo-app@1.1.0'],
      );
    });
  }

  test('Flux-style plain GETs: the view, then a chart by its URL resolved against the view URL', async () => {
    const repoUrl = `${ballast.url}/demo?charts=demo-config`;
    const indexUrl = new URL(repoUrl);
    indexUrl.pathname += '/index.yaml';
    const response = await httpRequest(indexUrl.toString(), { headers: { 'user-agent': 'flux' } });
    const view = JSON.parse(response.body.toString()) as Index;
    assert.deepEqual(versionsOf(view), { 'demo-config': ['2.0.0'] });
    const base = new URL(repoUrl);
    base.pathname += '/';
    const chartUrl = new URL(view.entries['demo-config']?.[0]?.urls[0] ?? '', base);
    chartUrl.search = base.search;
    const chart = await httpRequest(chartUrl.toString());
    assert.equal(chart.status, 200);
  });
});
