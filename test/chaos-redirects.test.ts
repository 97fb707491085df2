import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type PackagedChart } from './support/classic-repo.ts';
import { httpRequest, metricValue } from './support/http.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// Hostile redirects (SSRF): an upstream on an allowed host answers 302 towards an internal
// address. Every hop must pass the upstream's host policy before anything is sent there;
// a refused hop is a permanent error naming the hop, nothing stored changes, and no error
// quotes what an internal address would have answered.

const cdnName = 'cdn.ballast.test';
const secret = 'db_password: hunter2';
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

interface ErrorBody {
  error: { code: string; message: string };
}
const errorOf = (body: Buffer) => (JSON.parse(body.toString()) as ErrorBody).error;

describe('chaos: redirects that try to leave the host policy', () => {
  let work: string;
  let upstream: StaticServer;
  /** Where the redirects point: an "internal" service that must never be reached. */
  let internal: StaticServer;
  /** An allowed CDN (`chartHosts`, `redirectHosts`), reached by name. */
  let cdn: StaticServer;
  let ballast: BallastProcess;
  let charts: PackagedChart[];
  const file = (c: PackagedChart) => `${c.name}-${c.version}.tgz`;
  const chart = (i: number) => charts[i] as PackagedChart;

  before(async () => {
    work = await tempDir('chaos-redirects');
    const repoDir = join(work, 'repo');
    const repo = await buildClassicRepo(repoDir, {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '0.2.0', '0.3.0', '0.4.0', '0.5.0'] }],
    });
    charts = repo.charts.sort((a, b) => a.version.localeCompare(b.version));
    for (const c of charts) await writeFile(join(repoDir, `${file(c)}.prov`), `prov of ${file(c)}`);
    await mkdir(join(repoDir, 'files'));
    await writeFile(join(repoDir, 'files', 'tool.bin'), 'the tool\n');
    await writeFile(
      join(repoDir, 'files', 'tool.bin.sha256sum'),
      `${sha256('the tool\n')}  tool.bin\n`,
    );
    const internalDir = join(work, 'internal');
    await mkdir(join(internalDir, 'latest'), { recursive: true });
    await writeFile(join(internalDir, 'index.yaml'), `apiVersion: v1\nentries: {}\n${secret}\n`);
    await writeFile(join(internalDir, 'latest', 'meta-data'), secret);
    upstream = await startStaticServer({ root: repoDir });
    internal = await startStaticServer({ root: internalDir });
    cdn = await startStaticServer({ root: repoDir });
    ballast = await startBallastProcess({
      resolver: { hosts: { [cdnName]: ['127.0.0.1'] } },
      resilience: { deadline: '5s', hedge: { enabled: false } },
      repos: [
        { name: 'charts', upstreams: [{ url: upstream.url, chartHosts: [cdnName] }] },
        { name: 'index-hop', upstreams: [{ url: `${upstream.url}/hop` }] },
        // A repository URL with a token in its query, as signed or private URLs have.
        { name: 'query', upstreams: [{ url: `${upstream.url}/?token=s3cret` }] },
      ],
      files: [
        {
          name: 'tools',
          upstreams: [{ url: `${upstream.url}/files`, redirectHosts: [cdnName] }],
        },
      ],
    });
  });

  before(async () => {
    // The warm-up index fetches settle first, so store snapshots compare like with like.
    for (const repo of ['charts', 'query'])
      assert.equal((await httpRequest(`${ballast.url}/${repo}/index.yaml`)).status, 200);
  });

  after(async () => {
    await ballast?.stop();
    await Promise.all([upstream?.stop(), internal?.stop(), cdn?.stop()]);
    if (work) await removeDir(work);
  });

  /** Asserts the client's error: code, status, and that the refused hop is named. */
  async function refused(url: string, code: string, hop?: string): Promise<ErrorBody['error']> {
    const response = await httpRequest(url);
    assert.equal(response.status >= 500, true, `${url}: ${response.status}`);
    const body = response.body.toString();
    assert.match(body, new RegExp(code));
    if (hop) assert.ok(body.includes(hop), `${body} names ${hop}`);
    assert.ok(!body.includes('hunter2') && !body.includes('db_password'), body);
    return errorOf(response.body);
  }

  test('an index redirected to an internal address: refused, naming the hop; its keys never echoed', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const hop = `${internal.url}/index.yaml`;
    upstream.setFault('/hop/index.yaml', { status: 302, headers: { location: hop } });
    const error = await refused(
      `${ballast.url}/index-hop/index.yaml`,
      'BALLAST_REDIRECT_HOST_NOT_ALLOWED',
      hop,
    );
    assert.equal(error.code, 'BALLAST_INDEX_UNAVAILABLE');
    assert.deepEqual(internal.requests, [], 'nothing reached the internal address');
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);
  });

  test('a chart redirected to an internal address: refused at once, not retried', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const target = chart(0);
    const hop = `${internal.url}/latest/meta-data`;
    upstream.setFault(`/${file(target)}`, { status: 302, headers: { location: hop } });
    const error = await refused(
      `${ballast.url}/charts/charts/${file(target)}`,
      'BALLAST_REDIRECT_HOST_NOT_ALLOWED',
      hop,
    );
    assert.equal(error.code, 'BALLAST_REDIRECT_HOST_NOT_ALLOWED');
    assert.equal(upstream.requests.filter((r) => r.path === `/${file(target)}`).length, 1);
    assert.deepEqual(internal.requests, []);
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);
  });

  test('every hop is checked: allowed CDN first, then an internal address', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const target = chart(1);
    const hop = `${internal.url}/${file(target)}`;
    upstream.setFault(`/${file(target)}`, {
      status: 302,
      headers: { location: `http://${cdnName}:${cdn.port}/${file(target)}` },
    });
    cdn.setFault(`/${file(target)}`, { status: 307, headers: { location: hop } });
    await refused(
      `${ballast.url}/charts/charts/${file(target)}`,
      'BALLAST_REDIRECT_HOST_NOT_ALLOWED',
      hop,
    );
    assert.deepEqual(internal.requests, []);
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);
  });

  test('a redirect to a chartHosts host is followed, and the bytes are verified', async () => {
    const target = chart(2);
    upstream.setFault(`/${file(target)}`, {
      status: 301,
      headers: { location: `http://${cdnName}:${cdn.port}/${file(target)}` },
    });
    const response = await httpRequest(`${ballast.url}/charts/charts/${file(target)}`);
    assert.equal(response.status, 200, response.body.toString());
    assert.equal(sha256(response.body), target.digest);
    assert.equal(cdn.requests.filter((r) => r.path === `/${file(target)}`).length, 1);
  });

  test('provenance redirected to an internal address: refused', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const target = chart(3);
    const hop = `${internal.url}/latest/meta-data`;
    upstream.setFault(`/${file(target)}.prov`, { status: 302, headers: { location: hop } });
    await refused(
      `${ballast.url}/charts/charts/${file(target)}.prov`,
      'BALLAST_REDIRECT_HOST_NOT_ALLOWED',
      hop,
    );
    assert.deepEqual(internal.requests, []);
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);
  });

  test('a redirect to the same URL is a loop: permanent, asked once', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const target = chart(4);
    upstream.setFault(`/${file(target)}`, {
      status: 302,
      headers: { location: `/${file(target)}` },
    });
    const started = performance.now();
    const error = await refused(
      `${ballast.url}/charts/charts/${file(target)}`,
      'BALLAST_TOO_MANY_REDIRECTS',
    );
    assert.match(error.message, /a loop/);
    assert.equal(upstream.requests.filter((r) => r.path === `/${file(target)}`).length, 1);
    assert.ok(performance.now() - started < 4_000, 'not retried until the deadline');
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);
  });

  test('wrong bytes: the digest error quotes the expected digest, never the hash of what came', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const target = chart(4);
    upstream.setFault(`/${file(target)}`, { status: 200, body: secret });
    const error = await refused(
      `${ballast.url}/charts/charts/${file(target)}`,
      'BALLAST_DIGEST_MISMATCH',
    );
    assert.ok(error.message.includes(target.digest));
    assert.ok(!error.message.includes(sha256(secret)), error.message);
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);
    upstream.setFault(`/${file(target)}`, undefined);
  });

  test('file mirror: a redirect to an internal address is refused; to redirectHosts, followed', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const hop = `${internal.url}/latest/meta-data`;
    upstream.setFault('/files/tool.bin.sha256sum', { status: 302, headers: { location: hop } });
    await refused(`${ballast.url}/files/tools/tool.bin`, 'BALLAST_REDIRECT_HOST_NOT_ALLOWED', hop);
    assert.deepEqual(internal.requests, []);
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);

    upstream.setFault('/files/tool.bin.sha256sum', {
      status: 302,
      headers: { location: `http://${cdnName}:${cdn.port}/files/tool.bin.sha256sum` },
    });
    const served = await httpRequest(`${ballast.url}/files/tools/tool.bin`);
    assert.equal(served.status, 200, served.body.toString());
    assert.equal(served.body.toString(), 'the tool\n');
  });

  test('a repository URL with a query: .prov goes on the path, the query stays', async () => {
    const target = chart(0);
    const response = await httpRequest(`${ballast.url}/query/charts/${file(target)}.prov`);
    assert.equal(response.status, 200, response.body.toString());
    assert.equal(response.body.toString(), `prov of ${file(target)}`);
    const asked = upstream.requests.map((r) => r.url).filter((url) => url.includes('token='));
    assert.ok(asked.includes('/index.yaml?token=s3cret'), asked.join(' '));
    assert.ok(asked.includes(`/${file(target)}.prov?token=s3cret`), asked.join(' '));
    assert.ok(!asked.some((url) => url.endsWith('.prov') && url.includes('?token=s3cret.')));
  });

  test('the metrics of all this name no chart or file path', async () => {
    const text = (await httpRequest(`${ballast.url}/metrics`)).body.toString();
    assert.doesNotMatch(text, /demo-app-0|tool\.bin/);
    assert.ok(
      (await metricValue(ballast.url, 'ballast_upstream_requests_total', {
        cause: 'BALLAST_REDIRECT_HOST_NOT_ALLOWED',
      })) >= 4,
    );
  });
});
