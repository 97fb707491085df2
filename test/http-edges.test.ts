import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { request } from 'undici';
import { startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo } from './support/classic-repo.ts';
import { eventually, httpRequest, metricValue } from './support/http.ts';
import { startStaticServer } from './support/static-server.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { tempDir } from './support/temp-dir.ts';
import { mountTmpfs } from './support/tmpfs.ts';

// The edges of the HTTP listener: what a hostile or impatient client gets back, and what the
// operator sees of it. Every error body has Ballast's shape and quotes no unbounded input.

/** Sends raw bytes on a fresh connection and returns everything the server sends back. */
async function rawExchange(url: string, bytes: string, waitMs = 5000): Promise<string> {
  const { hostname, port } = new URL(url);
  const socket = connect(Number(port), hostname);
  await once(socket, 'connect');
  socket.write(bytes);
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  socket.on('error', () => {});
  const timer = setTimeout(() => socket.destroy(), waitMs);
  await closed(socket);
  clearTimeout(timer);
  return answer;
}

/** Resolves when the socket closes, reset or not (events.once would reject on the reset). */
function closed(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function bodyOf(raw: string): Record<string, unknown> {
  return JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>;
}

test('hostile requests get Ballast error bodies that echo no unbounded input', async (t) => {
  await using server = await startBallastProcess({
    repos: [{ name: 'demo', upstreams: [{ url: 'http://127.0.0.1:9/' }] }],
    server: { headersTimeout: '1s' },
    resilience: { deadline: '1s' },
  });
  const long = 'a'.repeat(10_000);
  const cases: { path: string; headers?: Record<string, string>; status: number; code: string }[] =
    [
      { path: `/demo/charts/${long}.tgz`, status: 414, code: 'BALLAST_URL_TOO_LONG' },
      { path: '/demo/charts/%zz.tgz', status: 400, code: 'BALLAST_BAD_REQUEST' },
      { path: '/%zz', status: 400, code: 'BALLAST_BAD_REQUEST' },
      { path: `/no-such-route?q=${long}`, status: 404, code: 'BALLAST_NOT_FOUND' },
      {
        path: '/-/healthz',
        headers: { 'x-big': 'b'.repeat(20_000) },
        status: 431,
        code: 'BALLAST_HEADERS_TOO_LARGE',
      },
    ];
  for (const c of cases) {
    const response = await httpRequest(`${server.url}${c.path}`, { headers: c.headers ?? {} });
    const text = response.body.toString();
    assert.equal(response.status, c.status, `${c.path.slice(0, 40)}: ${text}`);
    assert.equal((JSON.parse(text) as { error: { code: string } }).error.code, c.code);
    assert.ok(text.length < 400, `a short body, not an echo: ${text.slice(0, 200)}`);
    assert.doesNotMatch(text, /FST_|aaaaaaaaaa{200}/);
  }
  // The OCI face answers in the distribution spec's shape, with the Ballast code in detail.
  const oci = await httpRequest(`${server.url}/v2/${long}/x/tags/list`);
  assert.equal(oci.status, 414);
  const errors = (JSON.parse(oci.body.toString()) as { errors: { detail: unknown }[] }).errors;
  assert.deepEqual(errors[0]?.detail, { ballastCode: 'BALLAST_URL_TOO_LONG' });
  assert.ok(oci.body.length < 400);

  const garbage = await rawExchange(server.url, 'NOT HTTP AT ALL\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400 /);
  assert.deepEqual(bodyOf(garbage), {
    error: {
      code: 'BALLAST_BAD_REQUEST',
      message: 'the request is malformed: not an HTTP/1.1 request',
    },
  });

  // Headers that never end: answered 408 once server.headersTimeout (1 s) has passed.
  const started = Date.now();
  const slow = await rawExchange(server.url, 'GET /-/healthz HTTP/1.1\r\nHost: x\r\n', 10_000);
  const waited = Date.now() - started;
  assert.match(slow, /^HTTP\/1\.1 408 /);
  assert.equal((bodyOf(slow).error as { code: string }).code, 'BALLAST_REQUEST_TIMEOUT');
  // Not Node's 30 s checking interval: within a second or two of the deadline.
  assert.ok(waited >= 900 && waited < 8000, `answered after ${waited} ms`);
  assert.ok(
    (await metricValue(server.url, 'ballast_http_client_errors_total', {
      code: 'BALLAST_REQUEST_TIMEOUT',
    })) >= 1,
  );
  const errorLines = server.logs().filter((line) => Number(line.level) >= 50);
  assert.deepEqual(errorLines, [], 'none of this is an error of Ballast');
  // The upstream is down: an ordinary failure, logged with its code, without a stack trace.
  await eventually(async () =>
    assert.ok(server.logs().some((line) => line.msg === 'initial index fetch failed')),
  );
  const warnings = server.logs().filter((line) => line.level === 40);
  assert.ok(warnings.length > 0);
  for (const line of warnings)
    assert.ok(!JSON.stringify(line).includes('"stack"'), JSON.stringify(line));
  const initial = warnings.find((line) => line.msg === 'initial index fetch failed');
  assert.equal((initial?.err as { code?: string } | undefined)?.code, 'BALLAST_INDEX_UNAVAILABLE');
  t.diagnostic(`408 after ${waited} ms`);
});

test('connections past server.maxConnections are closed at once; those within keep being served', async () => {
  await using server = await startBallastProcess({ server: { maxConnections: 4 } });
  const { hostname, port } = new URL(server.url);
  const open: Socket[] = [];
  try {
    // Four slow clients, each in the middle of its request headers.
    for (let i = 0; i < 4; i++) {
      const socket = connect(Number(port), hostname);
      socket.on('error', () => {});
      await once(socket, 'connect');
      socket.write('GET /-/healthz HTTP/1.1\r\nHost: x\r\n');
      open.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 300)); // accepted by the server by now
    // A fifth is accepted by the kernel and closed by Ballast without a byte.
    const extra = connect(Number(port), hostname);
    let received = 0;
    extra.on('data', (chunk: Buffer) => (received += chunk.length));
    extra.on('error', () => {});
    extra.write('GET /-/healthz HTTP/1.1\r\nHost: x\r\n\r\n');
    await closed(extra); // a reset, as Node drops it: no byte of an answer
    assert.equal(received, 0);

    // One of the four still gets its answer.
    const first = open[0] as Socket;
    let answer = '';
    first.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    first.write('Connection: close\r\n\r\n');
    await closed(first);
    assert.match(answer, /^HTTP\/1\.1 200 /);
  } finally {
    for (const socket of open) socket.destroy();
  }
  await eventually(async () =>
    assert.ok((await metricValue(server.url, 'ballast_http_connections_dropped_total')) >= 1),
  );
});

test('a client that hangs up before the first byte is a debug line and a metric, not an error', async (t) => {
  const dir = await tempDir('client-gone', t);
  const repo = await buildClassicRepo(join(dir, 'upstream'), {
    charts: [{ chart: 'demo-app', versions: ['1.0.0'] }],
  });
  await using upstream = await startStaticServer({ root: repo.dir });
  await using server = await startBallastProcess({
    repos: [{ name: 'demo', upstreams: [{ url: upstream.url }] }],
  });
  assert.equal((await httpRequest(`${server.url}/demo/index.yaml`)).status, 200);
  upstream.setFault('/demo-app-1.0.0.tgz', { delayMs: 1500, times: 1 });
  const controller = new AbortController();
  const pending = request(`${server.url}/demo/charts/demo-app-1.0.0.tgz`, {
    signal: controller.signal,
  });
  setTimeout(() => controller.abort(), 300);
  await assert.rejects(pending);
  await eventually(async () =>
    assert.ok(
      (await metricValue(server.url, 'ballast_http_client_gone_total', {
        route: '/:repo/charts/:file',
      })) >= 1,
    ),
  );
  const loud = server
    .logs()
    .filter((line) => Number(line.level) >= 50 || line.msg === 'unexpected error');
  assert.deepEqual(loud, []);
  // The chart is served to the next client as usual.
  assert.equal((await httpRequest(`${server.url}/demo/charts/demo-app-1.0.0.tgz`)).status, 200);
});

test('a full disk is 507 BALLAST_STORAGE_FULL, an error log naming the file and a metric; what is stored stays', async (t) => {
  const dir = await tempDir('disk-full', t);
  await mkdir(join(dir, 'upstream'), { recursive: true });
  await writeFile(join(dir, 'upstream', 'small.bin'), 'small file\n');
  await writeFile(join(dir, 'upstream', 'big.bin'), randomBytes(3 * 1024 * 1024));
  await using upstream = await startStaticServer({ root: join(dir, 'upstream') });
  await using disk = await mountTmpfs(join(dir, 'disk'), { size: '1m' });
  await using server = await startBallastProcess(
    { files: [{ name: 'bin', upstreams: [upstream.url], checksum: 'none' }] },
    { dataDir: join(disk.dir, 'data') },
  );
  assert.equal((await httpRequest(`${server.url}/files/bin/small.bin`)).status, 200);
  const before = await storeSnapshot(join(disk.dir, 'data'));

  const full = await httpRequest(`${server.url}/files/bin/big.bin`);
  const body = JSON.parse(full.body.toString()) as { error: { code: string; message: string } };
  assert.equal(full.status, 507, full.body.toString());
  assert.equal(body.error.code, 'BALLAST_STORAGE_FULL');
  assert.match(body.error.message, /no space left on device \(ENOSPC\); nothing was stored$/);
  // The log line comes through the child's stdout, which may trail the response a little.
  const errorLines = () =>
    server.logs().filter((line) => line.level === 50 && typeof line.path === 'string');
  await eventually(async () =>
    assert.equal(errorLines().length, 1, JSON.stringify(server.logs().slice(-5))),
  );
  const logged = errorLines();
  assert.ok(String(logged[0]?.path).startsWith(join(disk.dir, 'data')), String(logged[0]?.path));
  assert.equal(await metricValue(server.url, 'ballast_store_full_total'), 1);

  assert.deepEqual(await storeSnapshot(join(disk.dir, 'data')), before, 'nothing partial kept');
  const small = await httpRequest(`${server.url}/files/bin/small.bin`);
  assert.equal(small.body.toString(), 'small file\n');
});

test('clients that give up on a slow upstream index do not cancel its fetch: the next client gets it at once', async (t) => {
  const dir = await tempDir('impatient-index', t);
  const repo = await buildClassicRepo(join(dir, 'upstream'), {
    charts: [{ chart: 'demo-app', versions: ['1.0.0'] }],
  });
  await using upstream = await startStaticServer({ root: repo.dir });
  // No index at start: the start-up fetch fails, so the fetches below are the clients' own.
  upstream.setFault('/index.yaml', { status: 404, body: 'not yet' });
  await using server = await startBallastProcess({
    repos: [{ name: 'demo', upstreams: [{ url: upstream.url }] }],
  });
  const refreshFailures = () =>
    server.logs().filter((line) => line.event === 'index:refresh-failed').length;
  await eventually(async () => assert.ok(refreshFailures() > 0, 'the start-up fetch failed'));
  const failedBefore = refreshFailures();
  const indexGets = () => upstream.requests.filter((r) => r.path === '/index.yaml').length;
  const askedBefore = indexGets();
  // Then the index arrives slower than any of these clients waits: a CDN having a bad day.
  upstream.setFault('/index.yaml', { delayMs: 1500 });
  for (let client = 0; client < 3; client++) {
    await assert.rejects(
      request(`${server.url}/demo/index.yaml`, { signal: AbortSignal.timeout(300) }),
    );
  }
  await eventually(async () => {
    const answer = await request(`${server.url}/demo/index.yaml`, {
      signal: AbortSignal.timeout(300),
    });
    assert.equal(answer.statusCode, 200);
    assert.match(await answer.body.text(), /demo-app/);
  });
  assert.equal(indexGets() - askedBefore, 1, 'one fetch, kept going for the clients that left');
  assert.equal(refreshFailures(), failedBefore, 'clients leaving is not an upstream failure');
});
