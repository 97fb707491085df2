import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBallastProcess } from './support/ballast.ts';
import { writeSyntheticIndex } from './support/classic-repo.ts';
import { eventually, httpRequest } from './support/http.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

/** Exactly what Helm 3.17 and 4.1 send for index.yaml (captured on the wire). */
const helmHeaders = { 'user-agent': 'Helm/3.17.2' };

describe('the served index across restarts', () => {
  let root: string;
  let dataDir: string;
  let upstream: StaticServer;
  let served: Buffer;
  const config = () => ({ repos: [{ name: 'big', upstreams: [{ url: upstream.url }] }] });

  before(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-served-'));
    root = join(dir, 'upstream');
    dataDir = join(dir, 'data');
    await mkdir(root);
    await writeSyntheticIndex(join(root, 'index.yaml'), { charts: 50, versions: 5_000 });
    upstream = await startStaticServer({ root });
    await using ballast = await startBallastProcess(config(), { dataDir });
    served = (await httpRequest(`${ballast.url}/big/index.yaml`, { headers: helmHeaders })).body;
  });

  after(async () => {
    await upstream?.stop();
  });

  test("Helm's exact request gets the identity body with a correct Content-Length", async () => {
    await using ballast = await startBallastProcess(config(), { dataDir });
    const response = await httpRequest(`${ballast.url}/big/index.yaml`, { headers: helmHeaders });
    assert.equal(response.status, 200);
    assert.equal(response.headers['content-encoding'], undefined);
    assert.equal(response.headers['content-length'], String(response.body.length));
    const index = JSON.parse(response.body.toString()) as { entries: Record<string, unknown[]> };
    assert.equal(Object.keys(index.entries).length, 50);
  });

  test('ranges, HEAD and 304 on the identity body', async () => {
    await using ballast = await startBallastProcess(config(), { dataDir });
    const url = `${ballast.url}/big/index.yaml`;
    const part = await httpRequest(url, { headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers['content-range'], `bytes 100-199/${served.length}`);
    assert.deepEqual(part.body, served.subarray(100, 200));
    const tail = await httpRequest(url, { headers: { range: `bytes=-10` } });
    assert.deepEqual(tail.body, served.subarray(served.length - 10));
    const beyond = await httpRequest(url, { headers: { range: `bytes=${served.length}-` } });
    assert.equal(beyond.status, 416);
    const head = await httpRequest(url, { method: 'HEAD', headers: helmHeaders });
    assert.equal(head.headers['content-length'], String(served.length));
    const again = await httpRequest(url, { headers: { 'if-none-match': head.headers.etag ?? '' } });
    assert.equal(again.status, 304);
  });

  test('a restart without the upstream serves the stored form without building it', async () => {
    upstream.setFault('/index.yaml', { reset: true });
    try {
      await using ballast = await startBallastProcess(config(), { dataDir });
      await eventually(async () => {
        const ready = await httpRequest(`${ballast.url}/-/readyz`);
        assert.equal(ready.status, 200);
      });
      const response = await httpRequest(`${ballast.url}/big/index.yaml`, {
        headers: helmHeaders,
      });
      assert.deepEqual(response.body, served);
      const messages = ballast.logs().map((line) => line.msg);
      assert.ok(messages.includes('loaded the served index'), messages.join('\n'));
      assert.ok(!messages.includes('loaded last good index'), 'nothing was rebuilt');
    } finally {
      upstream.setFault('/index.yaml', undefined);
    }
  });

  test('a served form that fails its checksum is rebuilt from the stored upstream index, with a warning', async () => {
    const formFile = join(dataDir, 'docs', 'repos', 'big', 'served-form');
    const form = await readFile(formFile);
    const altered = Buffer.from(form);
    altered[altered.length - 20] = 0x30 + ((altered[altered.length - 20] ?? 0) % 5);
    await writeFile(formFile, altered);
    await using ballast = await startBallastProcess(config(), { dataDir });
    // Requests that come while it rebuilds wait for it instead of failing.
    const response = await httpRequest(`${ballast.url}/big/index.yaml`, { headers: helmHeaders });
    assert.deepEqual(response.body, served);
    const warning = ballast.logs().find((line) => String(line.msg).includes('failed its check'));
    assert.ok(warning, 'a warning names the failed check');
    await eventually(async () => {
      const fresh = await readFile(formFile);
      assert.notDeepEqual(fresh, altered);
    });
  });
});

test('while a stored index is rebuilt at start-up, /-/readyz says not ready and index requests wait', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-ready-'));
  const root = join(dir, 'upstream');
  const dataDir = join(dir, 'data');
  await mkdir(root);
  // Large enough that rebuilding it from the stored upstream index takes a while.
  await writeSyntheticIndex(join(root, 'index.yaml'), { charts: 100, versions: 20_000 });
  await using upstream = await startStaticServer({ root });
  const config = { repos: [{ name: 'big', upstreams: [{ url: upstream.url }] }] };
  let served: Buffer;
  {
    await using ballast = await startBallastProcess(config, { dataDir });
    served = (await httpRequest(`${ballast.url}/big/index.yaml`, { headers: helmHeaders })).body;
  }
  // The form's table no longer matches its digest: the start-up must rebuild.
  await writeFile(join(dataDir, 'docs', 'repos', 'big', 'served-form'), 'not a form');
  upstream.setFault('/index.yaml', { reset: true });
  await using ballast = await startBallastProcess(config, { dataDir });
  const early = await httpRequest(`${ballast.url}/-/readyz`);
  assert.equal(early.status, 503, 'not ready while the stored index is rebuilt');
  const { repos } = JSON.parse(early.body.toString()) as { repos: { big: { loading: boolean } } };
  assert.equal(repos.big.loading, true);
  const response = await httpRequest(`${ballast.url}/big/index.yaml`, { headers: helmHeaders });
  assert.equal(response.status, 200, 'the early request waited for the index');
  assert.deepEqual(response.body, served);
  assert.equal((await httpRequest(`${ballast.url}/-/readyz`)).status, 200);
});
