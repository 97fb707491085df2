import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createAccessPolicy } from '../src/auth/access-policy.ts';
import { sha256Hex } from '../src/auth/bearer-token.ts';
import { createAuthenticator } from '../src/auth/create-authenticator.ts';
import { createFailureThrottle } from '../src/auth/failure-throttle.ts';
import type { Auth } from '../src/auth/load-auth.ts';
import { createRegistryTokenSigner } from '../src/auth/registry-token.ts';
import type { ChartRepo } from '../src/mirror/chart-repo.ts';
import { type BallastEvents, createEventBus } from '../src/observability/events.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createMetrics } from '../src/observability/metrics.ts';
import { createServer } from '../src/server/create-server.ts';
import { createMemoryStore } from '../src/store/memory/memory-store.ts';
import type { Digest, Store } from '../src/store/store.ts';
import { storeKeys } from '../src/store/store-keys.ts';
import { loadedHostedRepo, provFor } from './support/hosted-repo.ts';
import { helmArtifact, sha256 } from './support/oci-push.ts';
import { isWrite, serverRouteTable } from './support/route-table.ts';
import { tgzOf } from './support/tar-archive.ts';

const tokens = { ci: 'ci-token-0123456789', reader: 'reader-token-0123456789' };
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const ci = { authorization: basic('ci', tokens.ci) };
const limit = 64 * 1024;

function testAuth(): Auth {
  const signer = createRegistryTokenSigner('k'.repeat(32));
  return {
    authenticator: createAuthenticator({
      users: new Map(),
      tokens: Object.entries(tokens).map(([name, token]) => ({ name, sha256: sha256Hex(token) })),
      signer,
      throttle: createFailureThrottle({ baseDelayMs: 1, maxDelayMs: 5 }),
    }),
    policy: createAccessPolicy(
      new Map([
        ['team', { read: 'anonymous' as const, write: ['ci'] }],
        ['locked', { read: 'anonymous' as const, write: [] }],
        ['mirror', { read: 'anonymous' as const, write: ['ci'] }],
      ]),
    ),
    signer,
    tokenTtlMs: 60_000,
    realm: undefined,
    enabled: true,
    ephemeralKey: true,
  };
}

/** The real hosted repositories over the test's store, and what they audited. */
async function server(store: Store, auth: Auth | undefined) {
  const bus = createEventBus();
  const audits: BallastEvents['audit:write'][] = [];
  bus.on('audit:write', (event) => audits.push(event));
  const repo = (name: string) =>
    loadedHostedRepo(store, { name, extra: `, maxUploadSize: ${limit}`, bus });
  const team = { hosted: await repo('team'), audits };
  const locked = await repo('locked');
  const app = createServer({
    repos: new Map([
      ['mirror', {} as ChartRepo],
      ['team', team.hosted],
      ['locked', locked],
    ]),
    hosted: new Map([
      ['team', team.hosted],
      ['locked', locked],
    ]),
    store,
    metrics: createMetrics(bus, () => []),
    bus,
    logger: createLogger({ level: 'silent' }),
    isAccepting: () => true,
    ...(auth ? { auth } : {}),
  });
  return { app, team };
}

const errorCode = (response: LightMyRequestResponse) =>
  (response.json() as { errors: { code: string }[] }).errors[0]?.code;

describe('OCI push routes: blob uploads and manifests into a hosted repo', () => {
  const store = createMemoryStore();
  let app: FastifyInstance;
  let team: Awaited<ReturnType<typeof server>>['team'];
  const uploads = '/v2/team/demo/blobs/uploads/';

  before(async () => {
    ({ app, team } = await server(store, testAuth()));
    await app.ready();
  });
  after(() => app.close());

  const start = async () => {
    const response = await app.inject({ method: 'POST', url: uploads, headers: ci });
    assert.equal(response.statusCode, 202);
    assert.equal(response.headers.range, '0-0');
    const location = String(response.headers.location);
    assert.match(location, /^\/v2\/team\/demo\/blobs\/uploads\/[0-9a-f-]{36}$/);
    assert.equal(response.headers['docker-upload-uuid'], location.split('/').at(-1));
    return location;
  };
  const patch = (location: string, body: Buffer, range?: string) =>
    app.inject({
      method: 'PATCH',
      url: location,
      headers: {
        ...ci,
        'content-type': 'application/octet-stream',
        ...(range ? { 'content-range': range } : {}),
      },
      payload: body,
    });
  const stored = async (digest: string) => store.statBlob(digest as Digest);

  test('monolithic POST ?digest= stores the blob and answers 201 with its location', async () => {
    const blob = Buffer.from('monolithic blob');
    const response = await app.inject({
      method: 'POST',
      url: `${uploads}?digest=${sha256(blob)}`,
      headers: { ...ci, 'content-type': 'application/octet-stream' },
      payload: blob,
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.headers.location, `/v2/team/demo/blobs/${sha256(blob)}`);
    assert.equal(response.headers['docker-content-digest'], sha256(blob));
    assert.equal((await stored(sha256(blob)))?.size, blob.length);
  });

  test('POST then PUT ?digest= with the body, as Helm uploads', async () => {
    const blob = Buffer.from('post then put');
    const location = await start();
    const response = await app.inject({
      method: 'PUT',
      url: `${location}?digest=${sha256(blob)}`,
      headers: { ...ci, 'content-type': 'application/octet-stream' },
      payload: blob,
    });
    assert.equal(response.statusCode, 201, response.body);
    assert.ok(await stored(sha256(blob)));
    const gone = await app.inject({ method: 'GET', url: location, headers: ci });
    assert.equal(gone.statusCode, 404);
    assert.equal(errorCode(gone), 'BLOB_UPLOAD_UNKNOWN');
  });

  test('chunked PATCH with Content-Range: status GET, an out-of-order chunk is 416, PUT finishes', async () => {
    const blob = Buffer.from('0123456789abcdefghij');
    const location = await start();
    const first = await patch(location, blob.subarray(0, 8), '0-7');
    assert.equal(first.statusCode, 202, first.body);
    assert.equal(first.headers.range, '0-7');
    assert.equal(first.headers.location, location);
    for (const range of ['4-11', '9-16', '0-7']) {
      const wrong = await patch(location, blob.subarray(8, 16), range);
      assert.equal(wrong.statusCode, 416, range);
      assert.equal(errorCode(wrong), 'BLOB_UPLOAD_INVALID');
    }
    const status = await app.inject({ method: 'GET', url: location, headers: ci });
    assert.equal(status.statusCode, 204);
    assert.equal(status.headers.range, '0-7', 'refused chunks were not kept');
    assert.equal((await patch(location, blob.subarray(8, 16), '8-15')).statusCode, 202);
    const put = await app.inject({
      method: 'PUT',
      url: `${location}?digest=${sha256(blob)}`,
      headers: { ...ci, 'content-type': 'application/octet-stream' },
      payload: blob.subarray(16),
    });
    assert.equal(put.statusCode, 201, put.body);
    assert.equal((await stored(sha256(blob)))?.size, blob.length);
  });

  test('PATCH without Content-Range appends (as skopeo streams), and another replica finishes', async () => {
    const blob = Buffer.from('streamed in two chunks, finished elsewhere');
    const location = await start();
    assert.equal((await patch(location, blob.subarray(0, 10))).statusCode, 202);
    const second = await patch(location, blob.subarray(10));
    assert.equal(second.headers.range, `0-${blob.length - 1}`);
    const other = (await server(store, testAuth())).app;
    try {
      const put = await other.inject({
        method: 'PUT',
        url: `${location}?digest=${sha256(blob)}`,
        headers: ci,
      });
      assert.equal(put.statusCode, 201, put.body);
    } finally {
      await other.close();
    }
    assert.ok(await stored(sha256(blob)));
  });

  test('a digest that does not match stores nothing: DIGEST_INVALID, monolithic and chunked', async () => {
    const blob = Buffer.from('these bytes');
    const claimed = sha256(Buffer.from('other bytes'));
    const whole = await app.inject({
      method: 'POST',
      url: `${uploads}?digest=${claimed}`,
      headers: ci,
      payload: blob,
    });
    assert.equal(whole.statusCode, 400);
    assert.equal(errorCode(whole), 'DIGEST_INVALID');
    const location = await start();
    await patch(location, blob);
    const put = await app.inject({
      method: 'PUT',
      url: `${location}?digest=${claimed}`,
      headers: ci,
    });
    assert.equal(put.statusCode, 400);
    assert.equal(errorCode(put), 'DIGEST_INVALID');
    assert.equal(await stored(claimed), undefined);
    assert.equal(await stored(sha256(blob)), undefined);
    assert.deepEqual(await store.listDocuments('uploads/'), [], 'the upload is dropped');
  });

  test("blobs over the repo's maxUploadSize are refused (413 SIZE_INVALID), whole or in chunks", async () => {
    const big = Buffer.alloc(limit + 1, 7);
    const whole = await app.inject({
      method: 'POST',
      url: `${uploads}?digest=${sha256(big)}`,
      headers: ci,
      payload: big,
    });
    assert.equal(whole.statusCode, 413);
    assert.equal(errorCode(whole), 'SIZE_INVALID');
    const location = await start();
    assert.equal((await patch(location, big.subarray(0, limit))).statusCode, 202);
    const over = await patch(location, big.subarray(limit));
    assert.equal(over.statusCode, 413);
    assert.equal(await stored(sha256(big)), undefined);
  });

  test('DELETE cancels an upload; its URL is then unknown', async () => {
    const location = await start();
    await patch(location, Buffer.from('abandoned'));
    assert.equal(
      (await app.inject({ method: 'DELETE', url: location, headers: ci })).statusCode,
      204,
    );
    const after = await app.inject({ method: 'GET', url: location, headers: ci });
    assert.equal(errorCode(after), 'BLOB_UPLOAD_UNKNOWN');
    const bogus = await app.inject({ method: 'GET', url: `${uploads}not-an-id`, headers: ci });
    assert.equal(bogus.statusCode, 404);
  });

  test('a mount request starts an upload (202), as the spec allows', async () => {
    const response = await app.inject({
      method: 'POST',
      url: `${uploads}?mount=${sha256(Buffer.from('x'))}&from=other/demo`,
      headers: ci,
    });
    assert.equal(response.statusCode, 202);
    assert.ok(response.headers.location);
  });

  const pushBlobs = async (parts: Buffer[]) => {
    for (const blob of parts) {
      const response = await app.inject({
        method: 'POST',
        url: `${uploads}?digest=${sha256(blob)}`,
        headers: ci,
        payload: blob,
      });
      assert.equal(response.statusCode, 201);
    }
  };
  const putManifest = (reference: string, manifest: Buffer, chart = 'demo') =>
    app.inject({
      method: 'PUT',
      url: `/v2/team/${chart}/manifests/${reference}`,
      headers: { ...ci, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      payload: manifest,
    });

  test('a manifest by tag: 201 with Location and Docker-Content-Digest, chart handed to the hosted repo', async () => {
    const artifact = await helmArtifact('demo', '1.0.0+build.7');
    await pushBlobs([artifact.config, artifact.chart]);
    const wrongTag = await putManifest('1.0.0', artifact.manifest);
    assert.equal(wrongTag.statusCode, 400);
    assert.equal(errorCode(wrongTag), 'MANIFEST_INVALID');
    assert.match(wrongTag.json().errors[0].message, /1\.0\.0_build\.7/);
    const wrongName = await putManifest('1.0.0_build.7', artifact.manifest, 'other');
    assert.equal(errorCode(wrongName), 'MANIFEST_INVALID');
    assert.equal(team.audits.length, 0);

    const response = await putManifest('1.0.0_build.7', artifact.manifest);
    assert.equal(response.statusCode, 201, response.body);
    assert.equal(response.headers['docker-content-digest'], artifact.manifestDigest);
    assert.equal(response.headers.location, `/v2/team/demo/manifests/${artifact.manifestDigest}`);
    const [audit] = team.audits;
    assert.equal(audit?.who, 'ci');
    const listed = await team.hosted.get('demo', '1.0.0+build.7');
    assert.equal(listed?.digest, sha256(artifact.chart));
    assert.deepEqual(listed?.manifest, {
      digest: artifact.manifestDigest,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
    });
    const kept = await store.readBlob(artifact.manifestDigest as Digest);
    assert.deepEqual(Buffer.concat(await kept.toArray()), artifact.manifest, 'byte for byte');
    const pointer = await store.getDocument(storeKeys.ociManifestChart(artifact.manifestDigest));
    assert.equal(pointer?.toString(), sha256(artifact.chart), 'found by digest after a restart');
    const again = await putManifest('1.0.0_build.7', artifact.manifest);
    assert.equal(again.statusCode, 201, 'the same push again changes nothing');
    assert.equal(team.audits.length, 1);
  });

  test('a provenance layer goes to the hosted repo with the chart', async () => {
    const artifact = await helmArtifact('demo', '2.5.0');
    const prov = provFor('demo', '2.5.0', artifact.chart);
    const manifest = JSON.parse(artifact.manifest.toString());
    manifest.layers.push({
      mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
      digest: sha256(prov),
      size: prov.length,
    });
    const bytes = Buffer.from(JSON.stringify(manifest));
    await pushBlobs([artifact.config, artifact.chart]);
    assert.equal(errorCode(await putManifest('2.5.0', bytes)), 'MANIFEST_BLOB_UNKNOWN');
    await pushBlobs([prov]);
    const response = await putManifest('2.5.0', bytes);
    assert.equal(response.statusCode, 201, response.body);
    assert.equal((await team.hosted.get('demo', '2.5.0'))?.provenance, sha256(prov));
  });

  test('a manifest by digest: the digest must be that of the bytes', async () => {
    const artifact = await helmArtifact('demo', '2.0.0');
    await pushBlobs([artifact.config, artifact.chart]);
    const wrong = await putManifest(sha256(Buffer.from('no')), artifact.manifest);
    assert.equal(wrong.statusCode, 400);
    assert.equal(errorCode(wrong), 'DIGEST_INVALID');
    const response = await putManifest(artifact.manifestDigest, artifact.manifest);
    assert.equal(response.statusCode, 201, response.body);
    assert.ok(await team.hosted.get('demo', '2.0.0'));
  });

  test('a manifest naming a blob never uploaded is MANIFEST_BLOB_UNKNOWN; nothing is stored', async () => {
    const artifact = await helmArtifact('demo', '3.0.0');
    await pushBlobs([artifact.config]);
    const response = await putManifest('3.0.0', artifact.manifest);
    assert.equal(response.statusCode, 400);
    assert.equal(errorCode(response), 'MANIFEST_BLOB_UNKNOWN');
    assert.equal(await team.hosted.get('demo', '3.0.0'), undefined);
    assert.equal(await stored(artifact.manifestDigest), undefined);
  });

  test('a hostile chart layer (path traversal, a symlink) is MANIFEST_INVALID; nothing is listed', async () => {
    const hostile = [
      [
        { name: 'demo/Chart.yaml', body: 'apiVersion: v2\nname: demo\nversion: 9.0.0\n' },
        { name: 'demo/../../etc/cron.d/x', body: 'boom' },
      ],
      [
        { name: 'demo/Chart.yaml', type: 'symlink' as const, linkname: '/etc/passwd' },
        { name: 'demo/values.yaml', body: '' },
      ],
    ];
    for (const entries of hostile) {
      const artifact = await helmArtifact('demo', '9.0.0', await tgzOf(entries));
      await pushBlobs([artifact.config, artifact.chart]);
      const response = await putManifest('9.0.0', artifact.manifest);
      assert.equal(response.statusCode, 400, response.body);
      assert.equal(errorCode(response), 'MANIFEST_INVALID');
    }
    assert.equal(await team.hosted.get('demo', '9.0.0'), undefined);
  });

  test('manifests that are not Helm charts, not JSON or too big are MANIFEST_INVALID', async () => {
    const image = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: sha256(Buffer.from('{}')),
          size: 2,
        },
        layers: [],
      }),
    );
    for (const body of [image, Buffer.from('not json')]) {
      const response = await putManifest('1.0.0', body);
      assert.equal(response.statusCode, 400);
      assert.equal(errorCode(response), 'MANIFEST_INVALID');
    }
    const huge = await putManifest('1.0.0', Buffer.alloc(4 * 1024 * 1024 + 1, 32));
    assert.equal(errorCode(huge), 'MANIFEST_INVALID');
    assert.match(huge.json().errors[0].message, /larger than 4194304 bytes/);
  });

  test('DELETE of a manifest by tag or digest removes the version (202); again is MANIFEST_UNKNOWN', async () => {
    const artifact = await helmArtifact('demo', '4.0.0');
    await pushBlobs([artifact.config, artifact.chart]);
    assert.equal((await putManifest('4.0.0', artifact.manifest)).statusCode, 201);
    const byDigest = `/v2/team/demo/manifests/${artifact.manifestDigest}`;
    assert.equal(
      (await app.inject({ method: 'DELETE', url: byDigest, headers: ci })).statusCode,
      202,
    );
    assert.equal(await team.hosted.get('demo', '4.0.0'), undefined);
    const again = await app.inject({ method: 'DELETE', url: byDigest, headers: ci });
    assert.equal(again.statusCode, 404);
    assert.equal(errorCode(again), 'MANIFEST_UNKNOWN');
    assert.equal((await putManifest('4.0.0', artifact.manifest)).statusCode, 201);
    const byTag = await app.inject({
      method: 'DELETE',
      url: '/v2/team/demo/manifests/4.0.0',
      headers: ci,
    });
    assert.equal(byTag.statusCode, 202);
  });
});

describe('OCI push: who may push where', () => {
  const store = createMemoryStore();
  let app: FastifyInstance;
  let team: Awaited<ReturnType<typeof server>>['team'];
  const url = '/v2/team/demo/blobs/uploads/';
  const post = (headers: Record<string, string>, path = url) =>
    app.inject({ method: 'POST', url: path, headers });

  before(async () => {
    ({ app, team } = await server(store, testAuth()));
    await app.ready();
  });
  after(() => app.close());

  test('no credentials: 401 with a Bearer challenge for pull,push on the name', async () => {
    const response = await post({});
    assert.equal(response.statusCode, 401);
    assert.equal(errorCode(response), 'UNAUTHORIZED');
    assert.match(
      String(response.headers['www-authenticate']),
      /^Bearer realm="[^"]+\/-\/token",service="[^"]+",scope="repository:team\/demo:pull,push"$/,
    );
  });

  test('wrong credentials 401, read-only credentials 403, on uploads and manifests alike', async () => {
    for (const path of [url, '/v2/team/demo/manifests/1.0.0']) {
      const method = path === url ? 'POST' : 'PUT';
      const wrong = await app.inject({
        method,
        url: path,
        headers: { authorization: basic('ci', 'nope') },
      });
      assert.equal(wrong.statusCode, 401, path);
      const reader = await app.inject({
        method,
        url: path,
        headers: { authorization: basic('reader', tokens.reader) },
      });
      assert.equal(reader.statusCode, 403, path);
      assert.equal(errorCode(reader), 'DENIED');
    }
    assert.deepEqual(await store.listDocuments(''), []);
  });

  test('the token endpoint grants push only to access.write, among several scopes', async () => {
    const scope = 'repository:team/demo:pull,push repository:mirror/x:pull';
    const token = async (who: keyof typeof tokens) => {
      const response = await app.inject({
        method: 'GET',
        url: `/-/token?service=x&scope=${encodeURIComponent(scope)}&scope=repository:locked/y:push`,
        headers: { authorization: basic(who, tokens[who]) },
      });
      return (response.json() as { token: string }).token;
    };
    const pushing = await post({ authorization: `Bearer ${await token('ci')}` });
    assert.equal(pushing.statusCode, 202);
    const reading = await post({ authorization: `Bearer ${await token('reader')}` });
    assert.equal(reading.statusCode, 403);
    const other = await post(
      { authorization: `Bearer ${await token('ci')}` },
      '/v2/team/other/blobs/uploads/',
    );
    assert.equal(other.statusCode, 401, 'a token for another name: fetch one for this scope');
    assert.match(
      String(other.headers['www-authenticate']),
      /scope="repository:team\/other:pull,push"/,
    );
  });

  test('mirrors are UNSUPPORTED, unknown repos NAME_UNKNOWN, repos without writers DENIED', async () => {
    const mirror = await post(ci, '/v2/mirror/demo/blobs/uploads/');
    assert.equal(mirror.statusCode, 405);
    assert.equal(errorCode(mirror), 'UNSUPPORTED');
    assert.match(mirror.json().errors[0].message, /mirror.*hosted: true/);
    const unknown = await post(ci, '/v2/nowhere/demo/blobs/uploads/');
    assert.equal(errorCode(unknown), 'NAME_UNKNOWN');
    const locked = await post(ci, '/v2/locked/demo/blobs/uploads/');
    assert.equal(locked.statusCode, 403);
    assert.equal(errorCode(locked), 'DENIED');
  });

  test('without auth configured nothing is pushed', async () => {
    const open = (await server(createMemoryStore(), undefined)).app;
    try {
      const response = await open.inject({ method: 'POST', url, headers: ci });
      assert.equal(response.statusCode, 403);
      assert.match(response.json().errors[0].message, /no users or tokens/);
    } finally {
      await open.close();
    }
  });

  test('every /v2/ write route in the route table: no, wrong or read-only credentials, 0 accepted, store unchanged', async () => {
    // Something to lose: an upload in progress and a pushed version, reachable by every route.
    const artifact = await helmArtifact('demo', '7.0.0');
    for (const blob of [artifact.config, artifact.chart])
      await app.inject({
        method: 'POST',
        url: `${url}?digest=${sha256(blob)}`,
        headers: ci,
        payload: blob,
      });
    const pushed = await app.inject({
      method: 'PUT',
      url: '/v2/team/demo/manifests/7.0.0',
      headers: ci,
      payload: artifact.manifest,
    });
    assert.equal(pushed.statusCode, 201);
    const started = await post(ci);
    const id = String(started.headers['docker-upload-uuid']);
    const params: Record<string, string> = { repo: 'team', chart: 'demo', id, reference: '7.0.0' };
    const snapshot = async () => {
      const blobs: string[] = [];
      for await (const blob of store.listBlobs()) blobs.push(blob.digest);
      return { documents: await store.listDocuments(''), blobs: blobs.sort() };
    };
    const before = await snapshot();
    const writes = (await serverRouteTable()).filter((r) => isWrite(r) && r.url.startsWith('/v2/'));
    assert.ok(writes.length >= 7, writes.map((r) => `${r.method} ${r.url}`).join(', '));
    const callers = {
      none: {},
      wrong: { authorization: basic('ci', 'wrong') },
      'wrong token': { authorization: 'Bearer blrt.e30.AAAA' },
      'read-only': { authorization: basic('reader', tokens.reader) },
    };
    for (const route of writes) {
      const path = route.url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? name);
      for (const [who, headers] of Object.entries(callers)) {
        const response = await app.inject({
          method: route.method as 'POST',
          url: `${path}?digest=${sha256(artifact.chart)}`,
          headers: { ...headers, 'content-type': 'application/octet-stream' },
          payload: artifact.chart,
        });
        const expected = who === 'read-only' ? 403 : 401;
        assert.equal(response.statusCode, expected, `${who}: ${route.method} ${route.url}`);
      }
    }
    assert.deepEqual(await snapshot(), before);
    assert.ok(await team.hosted.get('demo', '7.0.0'));
  });
});
