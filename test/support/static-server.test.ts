import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { type StaticServer, startStaticServer } from './static-server.ts';
import { tempDir } from './temp-dir.ts';

const index = 'apiVersion: v1\nentries: {}\n';

async function withServer(t: test.TestContext): Promise<StaticServer> {
  const root = await tempDir('static', t);
  await writeFile(join(root, 'index.yaml'), index);
  const server = await startStaticServer({ root });
  t.after(() => server.stop());
  return server;
}

/** A raw GET, so a path like `/..%2f` reaches the server exactly as written. */
function rawGet(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, { agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject).end();
  });
}

test('serves files with type, length and validators, and answers 304 to a revalidation', async (t) => {
  const server = await withServer(t);
  const first = await fetch(`${server.url}/index.yaml`);
  assert.equal(first.status, 200);
  assert.equal(first.headers.get('content-type'), 'application/x-yaml');
  assert.equal(first.headers.get('content-length'), String(index.length));
  assert.equal(await first.text(), index);
  const etag = first.headers.get('etag') ?? '';
  const lastModified = first.headers.get('last-modified') ?? '';
  assert.equal(
    (await fetch(`${server.url}/index.yaml`, { headers: { 'if-none-match': etag } })).status,
    304,
  );
  const since = { 'if-modified-since': lastModified };
  assert.equal((await fetch(`${server.url}/index.yaml`, { headers: since })).status, 304);
  const head = await fetch(`${server.url}/index.yaml`, { method: 'HEAD' });
  assert.equal(head.headers.get('etag'), etag);
  assert.equal((await fetch(`${server.url}/missing.tgz`)).status, 404);
  assert.equal(await rawGet(server.url, '/..%2f..%2fetc%2fpasswd'), 404);
  assert.deepEqual(
    server.requests.map((r) => `${r.method} ${r.path}`),
    [
      'GET /index.yaml',
      'GET /index.yaml',
      'GET /index.yaml',
      'HEAD /index.yaml',
      'GET /missing.tgz',
      'GET /../../etc/passwd',
    ],
  );
});

test('a status fault answers instead of the file, for a number of times', async (t) => {
  const server = await withServer(t);
  server.setFault('/index.yaml', {
    status: 503,
    body: 'etcdserver: leader changed',
    headers: { 'retry-after': '1' },
    times: 2,
  });
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${server.url}/index.yaml`);
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '1');
    assert.equal(await res.text(), 'etcdserver: leader changed');
  }
  assert.equal((await fetch(`${server.url}/index.yaml`)).status, 200);
  server.setFault('/index.yaml', { status: 404 });
  assert.equal((await fetch(`${server.url}/index.yaml`)).status, 404);
  server.setFault('/index.yaml', undefined);
  assert.equal((await fetch(`${server.url}/index.yaml`)).status, 200);
});

test('reset, truncation, delay and hang faults fail the way real networks do', async (t) => {
  const server = await withServer(t);
  const url = `${server.url}/index.yaml`;
  server.setFault('/index.yaml', { reset: true, times: 1 });
  await assert.rejects(fetch(url), (error: Error) => {
    assert.equal((error.cause as NodeJS.ErrnoException).code, 'ECONNRESET');
    return true;
  });
  server.setFault('/index.yaml', { truncateAt: 10, times: 1 });
  const truncated = await fetch(url);
  assert.equal(truncated.headers.get('content-length'), String(index.length));
  await assert.rejects(truncated.text(), /terminated/);
  server.setFault('/index.yaml', { delayMs: 300, times: 1 });
  const started = Date.now();
  assert.equal(await (await fetch(url)).text(), index);
  assert.ok(Date.now() - started >= 290);
  server.setFault('/index.yaml', { hang: true });
  await assert.rejects(fetch(url, { signal: AbortSignal.timeout(200) }), { name: 'TimeoutError' });
  await server.stop(); // must not wait for the hanging request
  await server.stop();
});
