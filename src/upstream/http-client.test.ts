import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type RequestListener } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { createHostPolicy } from './host-policy.ts';
import { createHttpClient } from './http-client.ts';

const client = createHttpClient({
  timeouts: { connect: 1000, headers: 300, body: 300 },
  maxRedirects: 2,
});
after(() => client.close());
/** Loopback on any port: these tests are about HTTP, not the host policy. */
const hosts = createHostPolicy({
  origin: 'http://127.0.0.1',
  hosts: ['127.0.0.1'],
  hostsKey: 'chartHosts',
});

async function serve(handler: RequestListener): Promise<{ url: string; close: () => void }> {
  const server = createServer(handler).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.close();
      server.closeAllConnections();
    },
  };
}

const read = async (body: AsyncIterable<Buffer>) => {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk);
  return Buffer.concat(chunks);
};

test('an error status carries the code, Retry-After and the start of the body', async () => {
  const server = await serve((_req, res) =>
    res.writeHead(503, { 'retry-after': '3' }).end('etcdserver: leader changed'),
  );
  await assert.rejects(
    client.get(`${server.url}/x`, { maxBytes: 100, what: 'index', hosts }),
    (error) => {
      assert.ok(isBallastError(error, 'BALLAST_UPSTREAM_STATUS'));
      assert.equal(error.details.statusCode, 503);
      assert.equal(error.details.retryAfter, '3');
      assert.equal(error.details.bodySnippet, 'etcdserver: leader changed');
      return true;
    },
  );
  server.close();
});

test('a body over the limit fails, whether declared or streamed', async () => {
  const declared = await serve((_req, res) =>
    res.writeHead(200, { 'content-length': 1000 }).end('x'.repeat(1000)),
  );
  await assert.rejects(
    client.get(declared.url, { maxBytes: 10, what: 'index', hosts }),
    /exceeds the limit of 10 bytes/,
  );
  declared.close();
  const chunked = await serve((_req, res) => {
    res.write('y'.repeat(25_000)); // no Content-Length: the limit is enforced while streaming
    res.end('y'.repeat(25_000));
  });
  const response = await client.get(chunked.url, { maxBytes: 10_000, what: 'chart', hosts });
  await assert.rejects(read(response.body), (error) =>
    isBallastError(error, 'BALLAST_BODY_TOO_LARGE'),
  );
  chunked.close();
});

test('timeouts name their stage', async () => {
  const silent = await serve(() => {});
  await assert.rejects(client.get(silent.url, { maxBytes: 10, what: 'index', hosts }), (error) => {
    assert.ok(isBallastError(error, 'BALLAST_UPSTREAM_TIMEOUT'));
    assert.equal(error.details.stage, 'headers');
    return true;
  });
  silent.close();
  const stalled = await serve((_req, res) =>
    res.writeHead(200, { 'content-length': 100 }).write('partial'),
  );
  const response = await client.get(stalled.url, { maxBytes: 1000, what: 'chart', hosts });
  await assert.rejects(read(response.body), (error) =>
    isBallastError(error, 'BALLAST_UPSTREAM_TIMEOUT'),
  );
  stalled.close();
});

test('redirects are followed up to the limit', async () => {
  const server = await serve((req, res) => {
    const hop = Number(req.url?.slice(1) || 0);
    if (hop < 5) res.writeHead(302, { location: `/${hop + 1}` }).end();
    else res.end('arrived');
  });
  await assert.rejects(
    client.get(`${server.url}/0`, { maxBytes: 100, what: 'index', hosts }),
    /redirected more than 2 times/,
  );
  assert.equal(
    (
      await read(
        (
          await client.get(`${server.url}/3`, { maxBytes: 100, what: 'index', hosts })
        ).body,
      )
    ).toString(),
    'arrived',
  );
  server.close();
});

test('a redirect to the same URL is a loop: permanent, without following it again', async () => {
  let requests = 0;
  const server = await serve((req, res) => {
    requests++;
    res.writeHead(302, { location: req.url }).end();
  });
  await assert.rejects(
    client.get(`${server.url}/same`, { maxBytes: 100, what: 'index', hosts }),
    (error) => {
      assert.ok(isBallastError(error, 'BALLAST_TOO_MANY_REDIRECTS'));
      assert.match(error.message, /redirects to itself \(a loop\)/);
      return true;
    },
  );
  assert.equal(requests, 1);
  server.close();
});

test('a hop outside the host policy is refused before anything is sent there', async () => {
  const sink: string[] = [];
  const target = await serve((req, res) => {
    sink.push(req.url ?? '');
    res.end('internal');
  });
  const origin = await serve((_req, res) =>
    res.writeHead(302, { location: `${target.url}/latest/meta-data?token=s3cret` }).end(),
  );
  const own = createHostPolicy({ origin: origin.url, hosts: [], hostsKey: 'chartHosts' });
  await assert.rejects(
    client.get(`${origin.url}/index.yaml`, { maxBytes: 100, what: 'index', hosts: own }),
    (error) => {
      assert.ok(isBallastError(error, 'BALLAST_REDIRECT_HOST_NOT_ALLOWED'));
      assert.ok(error.message.includes(`${target.url}/latest/meta-data?token=REDACTED`));
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    },
  );
  assert.deepEqual(sink, []);
  origin.close();
  target.close();
});

test('credentials go to the first origin only, not to a hop on another origin', async () => {
  const seen: { host: string; authorization?: string; cookie?: string }[] = [];
  const other = await serve((req, res) => {
    seen.push({ host: 'other', ...pick(req.headers) });
    res.end('ok');
  });
  const first = await serve((req, res) => {
    seen.push({ host: 'first', ...pick(req.headers) });
    if (req.url === '/start') res.writeHead(302, { location: '/again' }).end();
    else res.writeHead(307, { location: `${other.url}/x` }).end();
  });
  const response = await client.get(`${first.url}/start`, {
    maxBytes: 100,
    what: 'chart',
    hosts,
    headers: { authorization: 'Basic c2VjcmV0', cookie: 'a=b' },
  });
  assert.equal((await read(response.body)).toString(), 'ok');
  assert.deepEqual(seen, [
    { host: 'first', authorization: 'Basic c2VjcmV0', cookie: 'a=b' },
    { host: 'first', authorization: 'Basic c2VjcmV0', cookie: 'a=b' },
    { host: 'other' },
  ]);
  first.close();
  other.close();
});

test('an error status after a redirect names the hop that gave it', async () => {
  const other = await serve((_req, res) => res.writeHead(503).end('busy'));
  const first = await serve((_req, res) =>
    res.writeHead(302, { location: `${other.url}/file` }).end(),
  );
  await assert.rejects(
    client.get(`${first.url}/start`, { maxBytes: 100, what: 'chart', hosts }),
    (error) => {
      assert.ok(isBallastError(error, 'BALLAST_UPSTREAM_STATUS'));
      assert.equal(
        error.message,
        `${other.url}/file (redirected from ${first.url}/start) answered HTTP 503`,
      );
      return true;
    },
  );
  first.close();
  other.close();
});

function pick(headers: Record<string, string | string[] | undefined>) {
  const out: { authorization?: string; cookie?: string } = {};
  if (typeof headers.authorization === 'string') out.authorization = headers.authorization;
  if (typeof headers.cookie === 'string') out.cookie = headers.cookie;
  return out;
}

test('a refused connection is an unreachable upstream with its errno', async () => {
  const server = await serve(() => {});
  const { url } = server;
  server.close();
  await assert.rejects(client.get(url, { maxBytes: 10, what: 'index', hosts }), (error) => {
    assert.ok(isBallastError(error, 'BALLAST_UPSTREAM_UNREACHABLE'));
    assert.equal(error.details.errno, 'ECONNREFUSED');
    return true;
  });
});

// Regression: undici 7 crashed the process (an uncatchable assertion) when an upstream closed
// the connection while the body was paused by backpressure, as HTTP/1.0 servers do.
test('an upstream that closes the connection while the body is paused does not crash Ballast', async () => {
  const body = Buffer.alloc(4 * 1024 * 1024, 0x61);
  const server = createTcpServer((socket: Socket) => {
    socket.once('data', () => {
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n`,
      );
      socket.end(body);
    });
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const response = await client.get(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, {
    maxBytes: body.length,
    what: 'index',
    hosts,
  });
  await new Promise((resolve) => setTimeout(resolve, 200)); // let the peer finish and close
  let received = 0;
  for await (const chunk of response.body) {
    received += chunk.length;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.equal(received, body.length);
  server.close();
});
