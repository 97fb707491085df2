import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { httpRequest, metricValue } from './support/http.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

describe('classic mirror over HTTP', () => {
  let upstream: ClassicRepo;
  let server: StaticServer;
  let ballast: BallastProcess;
  let base: string;

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-http-'));
    upstream = await buildClassicRepo(join(dir, 'upstream'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '1.0.0', '1.1.0-rc.1+build.7'] }],
    });
    server = await startStaticServer({ root: upstream.dir });
    ballast = await startBallastProcess({
      repos: [{ name: 'demo', upstreams: [{ url: server.url }] }],
    });
    base = `${ballast.url}/demo`;
  });

  after(async () => {
    await ballast?.stop();
    await server?.stop();
  });

  test('the index lists every version with relative chart URLs and upstream digests', async () => {
    const response = await httpRequest(`${base}/index.yaml`);
    assert.equal(response.status, 200);
    const index = JSON.parse(response.body.toString()) as {
      entries: Record<string, { version: string; urls: string[]; digest: string }[]>;
    };
    const entries = index.entries['demo-app'] ?? [];
    assert.deepEqual(entries.map((e) => e.version).sort(), [
      '0.1.0',
      '1.0.0',
      '1.1.0-rc.1+build.7',
    ]);
    for (const entry of entries) {
      assert.deepEqual(entry.urls, [`charts/demo-app-${entry.version}.tgz`]);
      assert.equal(entry.digest, upstream.charts.find((c) => c.version === entry.version)?.digest);
    }
  });

  test('the index has a strong ETag, answers 304 and HEAD', async () => {
    const first = await httpRequest(`${base}/index.yaml`);
    assert.match(first.headers.etag ?? '', /^"[0-9a-f]+"$/);
    const again = await httpRequest(`${base}/index.yaml`, {
      headers: { 'if-none-match': first.headers.etag ?? '' },
    });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    const head = await httpRequest(`${base}/index.yaml`, { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-length'], String(first.body.length));
    assert.equal(head.body.length, 0);
  });

  test('the index is served precompressed with gzip or brotli, as the client asks', async () => {
    const plain = await httpRequest(`${base}/index.yaml`);
    const gz = await httpRequest(`${base}/index.yaml`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), plain.body);
    const br = await httpRequest(`${base}/index.yaml`, {
      headers: { 'accept-encoding': 'gzip, br' },
    });
    assert.equal(br.headers['content-encoding'], 'br');
    assert.deepEqual(brotliDecompressSync(br.body), plain.body);
    assert.equal(br.headers.vary, 'accept-encoding');
    assert.notEqual(br.headers.etag, plain.headers.etag);
  });

  test('a chart is verified, immutable, and answers Range, HEAD and 304', async () => {
    const chart = upstream.charts.find((c) => c.version === '1.0.0');
    assert.ok(chart);
    const bytes = await readFile(chart.path);
    const whole = await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`);
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, bytes);
    assert.equal(whole.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.equal(whole.headers.etag, `"sha256:${chart.digest}"`);

    const part = await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`, {
      headers: { range: 'bytes=10-19' },
    });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 10-19/${bytes.length}`);
    assert.deepEqual(part.body, bytes.subarray(10, 20));
    const tail = await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`, {
      headers: { range: 'bytes=-5' },
    });
    assert.deepEqual(tail.body, bytes.subarray(bytes.length - 5));
    const beyond = await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`, {
      headers: { range: `bytes=${bytes.length}-` },
    });
    assert.equal(beyond.status, 416);

    const head = await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], String(bytes.length));
    assert.equal(head.body.length, 0);
    const notModified = await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`, {
      headers: { 'if-none-match': whole.headers.etag ?? '' },
    });
    assert.equal(notModified.status, 304);
  });

  test('a version with build metadata is served under its + name', async () => {
    const response = await httpRequest(`${base}/charts/demo-app-1.1.0-rc.1+build.7.tgz`);
    assert.equal(response.status, 200);
  });

  test('concurrent misses for one chart make one upstream request', async () => {
    server.setFault('/demo-app-0.1.0.tgz', { delayMs: 300 });
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => httpRequest(`${base}/charts/demo-app-0.1.0.tgz`)),
    );
    assert.ok(responses.every((r) => r.status === 200));
    assert.equal(server.requests.filter((r) => r.path === '/demo-app-0.1.0.tgz').length, 1);
  });

  test('unknown repositories, unknown charts and unsafe names get clear errors', async () => {
    const noRepo = await httpRequest(`${ballast.url}/nope/index.yaml`);
    assert.equal(noRepo.status, 404);
    assert.match(noRepo.body.toString(), /BALLAST_REPO_NOT_FOUND/);
    const noChart = await httpRequest(`${base}/charts/demo-app-9.9.9.tgz`);
    assert.equal(noChart.status, 404);
    assert.match(noChart.body.toString(), /BALLAST_CHART_NOT_FOUND/);
    for (const name of [
      '..%2F..%2Fetc%2Fpasswd.tgz',
      'x%00.tgz',
      'demo-app%5C..%5Cx.tgz',
      'index.yaml',
    ]) {
      const response = await httpRequest(`${base}/charts/${name}`);
      assert.equal(response.status, 400, name);
      assert.match(response.body.toString(), /BALLAST_BAD_PATH/);
    }
  });

  test('metrics count requests, cache hits and misses, upstream requests and index age', async () => {
    await httpRequest(`${base}/charts/demo-app-1.0.0.tgz`);
    assert.ok(
      (await metricValue(ballast.url, 'ballast_http_requests_total', {
        route: '/:repo/charts/:file',
      })) > 0,
    );
    assert.ok(
      (await metricValue(ballast.url, 'ballast_cache_requests_total', { result: 'hit' })) > 0,
    );
    assert.ok(
      (await metricValue(ballast.url, 'ballast_cache_requests_total', { result: 'miss' })) > 0,
    );
    assert.ok(
      (await metricValue(ballast.url, 'ballast_upstream_requests_total', {
        kind: 'index',
        outcome: 'ok',
      })) > 0,
    );
    const text = (await httpRequest(`${ballast.url}/metrics`)).body.toString();
    assert.match(text, /ballast_index_age_seconds\{repo="demo"\} \d/);
    assert.match(text, /ballast_index_versions\{repo="demo"\} 3/);
  });

  test('health and readiness', async () => {
    assert.equal((await httpRequest(`${ballast.url}/-/healthz`)).status, 200);
    const ready = await httpRequest(`${ballast.url}/-/readyz`);
    assert.equal(ready.status, 200);
    assert.equal(
      (JSON.parse(ready.body.toString()) as { repos: Record<string, { ready: boolean }> }).repos
        .demo?.ready,
      true,
    );
  });
});
