import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { eventually, httpRequest, metricValue } from './support/http.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

const aliasBomb = [
  'apiVersion: v1',
  'serverInfo:',
  '  a: &a ["x","x","x","x","x","x","x","x","x","x"]',
  '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
  '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
  '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
  '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
  '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
  'entries: {}',
].join('\n');

async function storedFiles(dataDir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(dataDir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[path] = (await readFile(path)).toString('base64');
  }
  return files;
}

async function versionsServed(base: string): Promise<number> {
  const index = JSON.parse((await httpRequest(`${base}/index.yaml`)).body.toString()) as {
    entries: Record<string, unknown[]>;
  };
  return Object.values(index.entries).reduce((sum, list) => sum + list.length, 0);
}

describe('the index guard keeps the last good index', () => {
  let upstream: ClassicRepo;
  let server: StaticServer;
  let ballast: BallastProcess;
  let base: string;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-guard-'));
    upstream = await buildClassicRepo(join(dir, 'upstream'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '0.2.0', '0.3.0', '1.0.0', '1.1.0'] },
        { chart: 'demo-config', versions: ['1.0.0', '2.0.0'] },
      ],
    });
    server = await startStaticServer({ root: upstream.dir });
    // refresh 0: every index request starts a background revalidation.
    ballast = await startBallastProcess({
      repos: [
        {
          name: 'demo',
          upstreams: [{ url: server.url }],
          refresh: '0s',
          guard: { maxShrink: '20%' },
        },
      ],
    });
    base = `${ballast.url}/demo`;
    assert.equal(await versionsServed(base), 7);
    await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`);
  });

  after(async () => {
    await ballast?.stop();
    await server?.stop();
  });

  const scenarios: {
    name: string;
    reason: string;
    fault: Parameters<StaticServer['setFault']>[1];
  }[] = [
    { name: 'index.yaml answers 404', reason: '', fault: { status: 404, body: 'gone' } },
    {
      name: 'an empty index',
      reason: 'empty',
      fault: { status: 200, body: 'apiVersion: v1\nentries: {}\n' },
    },
    {
      name: 'an index missing most charts',
      reason: 'shrink',
      fault: {
        status: 200,
        body: `apiVersion: v1\nentries:\n  demo-app:\n  - name: demo-app\n    version: 1.0.0\n    digest: ${'a'.repeat(64)}\n    urls: [demo-app-1.0.0.tgz]\n`,
      },
    },
    {
      name: 'malformed YAML',
      reason: 'invalid',
      fault: { status: 200, body: 'apiVersion: v1\nentries: [\n  - {' },
    },
    { name: 'a YAML alias bomb', reason: 'invalid', fault: { status: 200, body: aliasBomb } },
    {
      name: 'duplicate keys',
      reason: 'invalid',
      fault: { status: 200, body: 'apiVersion: v1\napiVersion: v2\nentries: {}\n' },
    },
    { name: 'a truncated index', reason: '', fault: { truncateAt: 300 } },
  ];

  for (const scenario of scenarios) {
    const { name, reason, fault } = scenario;
    test(`${name}: the last good index is still served, marked stale, and nothing stored changes`, async () => {
      const before = await storedFiles(ballast.dataDir);
      const refusalsBefore = await metricValue(
        ballast.url,
        'ballast_guard_refusals_total',
        reason ? { reason } : {},
      );
      const failuresBefore = await metricValue(ballast.url, 'ballast_index_refresh_failures_total');
      // A new modification time, so the upstream answers 200 (and the fault) rather than 304.
      await utimes(
        upstream.indexPath,
        new Date(),
        new Date(Date.now() + 1000 * scenarios.indexOf(scenario) + 1000),
      );
      server.setFault('/index.yaml', fault);
      await eventually(async () => {
        // Each request starts a revalidation unless one is already running.
        await httpRequest(`${base}/index.yaml`);
        const refusals = await metricValue(
          ballast.url,
          'ballast_guard_refusals_total',
          reason ? { reason } : {},
        );
        const failures = await metricValue(ballast.url, 'ballast_index_refresh_failures_total');
        assert.ok(
          reason ? refusals > refusalsBefore : failures > failuresBefore,
          'the faulty index was seen',
        );
      });
      const response = await httpRequest(`${base}/index.yaml`);
      assert.equal(response.status, 200);
      assert.ok(response.headers['ballast-stale'], 'the response says it is stale');
      assert.equal(await versionsServed(base), 7);
      assert.deepEqual(await storedFiles(ballast.dataDir), before);
      // The fault stays until the next scenario sets its own: the requests above started
      // revalidations (refresh: 0s) that may still be on their way, and one that met a healthy
      // upstream would store the good index again while the next scenario takes its snapshot.
    });
  }

  test('once the upstream recovers, the stale marker goes away', async () => {
    server.setFault('/index.yaml', undefined);
    await httpRequest(`${base}/index.yaml`);
    await eventually(async () => {
      const response = await httpRequest(`${base}/index.yaml`);
      assert.equal(response.headers['ballast-stale'], undefined);
    });
  });
});

describe('bad input from an upstream is refused with a clear error', () => {
  let upstream: ClassicRepo;
  let server: StaticServer;
  let foreign: StaticServer;
  let ballast: BallastProcess;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-bad-input-'));
    upstream = await buildClassicRepo(join(dir, 'upstream'), {
      charts: [{ chart: 'demo-app', versions: ['1.0.0'] }],
    });
    server = await startStaticServer({ root: upstream.dir });
    foreign = await startStaticServer({ root: upstream.dir });
    // Set before Ballast starts: its start-up warm-up must already meet them.
    server.setFault('/invalid/index.yaml', {
      status: 200,
      body: 'apiVersion: v1\nentries:\n  x: [\n',
    });
    server.setFault('/big/index.yaml', {
      status: 200,
      body: `apiVersion: v1\n# ${'x'.repeat(10_000)}\nentries: {}\n`,
    });
    ballast = await startBallastProcess({
      limits: { indexSize: '2KiB' },
      repos: [
        { name: 'cold-invalid', upstreams: [{ url: `${server.url}/invalid` }] },
        { name: 'too-big', upstreams: [{ url: `${server.url}/big` }] },
        { name: 'corrupt', upstreams: [{ url: server.url }] },
        { name: 'foreign', upstreams: [{ url: `${server.url}/foreign` }] },
      ],
    });
  });

  after(async () => {
    await ballast?.stop();
    await server?.stop();
    await foreign?.stop();
  });

  test('a cold mirror whose upstream index is malformed answers 503 naming the YAML error', async () => {
    const response = await httpRequest(`${ballast.url}/cold-invalid/index.yaml`);
    assert.equal(response.status, 503);
    assert.match(response.body.toString(), /BALLAST_INDEX_UNAVAILABLE.*not valid YAML/);
  });

  test('an index over the size limit is refused before it is read whole', async () => {
    const response = await httpRequest(`${ballast.url}/too-big/index.yaml`);
    assert.equal(response.status, 503);
    assert.match(response.body.toString(), /exceeds the limit of 2048 bytes/);
  });

  // Runs before the chart is cached by another repo: a cached digest is served without any fetch.
  test('an index entry pointing at another host is not fetched from it', async () => {
    const chart = upstream.charts[0];
    assert.ok(chart);
    const index = (await readFile(upstream.indexPath, 'utf8')).replace(
      `- ${chart.name}-${chart.version}.tgz`,
      `- ${foreign.url.replace('127.0.0.1', 'localhost')}/${chart.name}-${chart.version}.tgz`,
    );
    server.setFault('/foreign/index.yaml', { status: 200, body: index });
    const response = await httpRequest(
      `${ballast.url}/foreign/charts/${chart.name}-${chart.version}.tgz`,
    );
    assert.equal(response.status, 502);
    assert.match(response.body.toString(), /BALLAST_CHART_HOST_NOT_ALLOWED.*chartHosts/);
    assert.equal(foreign.requests.length, 0);
  });

  test('a chart whose bytes do not match the digest is refused and not stored', async () => {
    const chart = upstream.charts[0];
    assert.ok(chart);
    const bytes = await readFile(chart.path);
    const corrupted = Buffer.from(bytes);
    corrupted[corrupted.length - 10] = (corrupted[corrupted.length - 10] ?? 0) ^ 0xff;
    server.setFault(`/${chart.name}-${chart.version}.tgz`, { status: 200, body: corrupted });
    const response = await httpRequest(
      `${ballast.url}/corrupt/charts/${chart.name}-${chart.version}.tgz`,
    );
    assert.equal(response.status, 502);
    assert.match(response.body.toString(), /BALLAST_DIGEST_MISMATCH/);
    const blobs = await readdir(join(ballast.dataDir, 'blobs', 'sha256'), { recursive: true });
    assert.deepEqual(blobs, [], 'no blob was stored');
    assert.equal(
      await metricValue(ballast.url, 'ballast_charts_rejected_total', {
        code: 'BALLAST_DIGEST_MISMATCH',
      }),
      1,
    );

    server.setFault(`/${chart.name}-${chart.version}.tgz`, undefined);
    const recovered = await httpRequest(
      `${ballast.url}/corrupt/charts/${chart.name}-${chart.version}.tgz`,
    );
    assert.equal(recovered.status, 200);
    assert.deepEqual(recovered.body, bytes);
  });
});
