import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { isBallastError } from '../src/errors/ballast-error.ts';
import { type BallastEvents, createEventBus } from '../src/observability/events.ts';
import { registerOciRoutes } from '../src/server/routes/oci-routes.ts';
import { createFsStore } from '../src/store/fs/fs-store.ts';
import { createHttpClient, type HttpClient } from '../src/upstream/http-client.ts';
import { pullChartVersion } from '../src/upstream/oci-chart-pull.ts';
import {
  createOciRegistryClient,
  type OciRegistryClientOptions,
} from '../src/upstream/oci-registry-client.ts';
import { buildClassicRepo, type PackagedChart } from './support/classic-repo.ts';
import { helmPushAll } from './support/oci-sources.ts';
import { type Registry, startRegistry } from './support/registry.ts';
import { tempDir } from './support/temp-dir.ts';

const timeouts = { connect: 2_000, headers: 5_000, body: 5_000 };

/**
 * A registry front that asks for what real registries ask for: Bearer tokens from its own
 * token endpoint (anonymous or with basic credentials), or plain basic auth; authorised
 * requests go through to the reference registry.
 */
interface AuthFront {
  url: string;
  host: string;
  tokenRequests: URL[];
  /** What the token endpoint accepts and how long its tokens live. */
  settings: {
    mode: 'bearer' | 'basic' | 'refuse-tokens';
    credentials?: string;
    expiresIn?: number;
    /** A realm somewhere else (e.g. one that never answers). */
    realm?: string;
  };
  stop(): Promise<void>;
}

async function startAuthFront(registry: Registry): Promise<AuthFront> {
  const tokens = new Map<string, string>();
  const tokenRequests: URL[] = [];
  const settings: AuthFront['settings'] = { mode: 'bearer' };
  let url = '';
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', url);
    const authorization = req.headers.authorization ?? '';
    const basic =
      settings.credentials && `Basic ${Buffer.from(settings.credentials).toString('base64')}`;
    if (target.pathname === '/token') {
      tokenRequests.push(target);
      if (settings.credentials && authorization !== basic) return void res.writeHead(401).end();
      const token = randomUUID();
      tokens.set(token, target.searchParams.getAll('scope').join(' '));
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(
        JSON.stringify({ access_token: token, expires_in: settings.expiresIn ?? 300 }),
      );
    }
    const name = /^\/v2\/(.+)\/(?:tags|manifests|blobs)\//.exec(target.pathname)?.[1];
    const scope = name ? `repository:${name}:pull` : '';
    const granted =
      settings.mode === 'basic'
        ? authorization === basic
        : settings.mode === 'bearer' && tokens.get(authorization.replace(/^Bearer /, '')) === scope;
    if (!granted) {
      const realm = settings.realm ?? `${url}/token`;
      const challenge =
        settings.mode === 'basic'
          ? 'Basic realm="test registry"'
          : `Bearer realm="${realm}",service="ballast-test"${scope ? `,scope="${scope}"` : ''}`;
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
      return void res.end(
        '{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}',
      );
    }
    const upstream = await fetch(`${registry.url}${target.pathname}${target.search}`, {
      headers: { accept: req.headers.accept ?? '*/*' },
      redirect: 'manual',
    });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((value, key) => {
      if (key !== 'content-encoding' && key !== 'transfer-encoding') headers[key] = value;
    });
    res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error) => res.writeHead(500).end(String(error)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  url = `http://127.0.0.1:${port}`;
  return { url, host: `127.0.0.1:${port}`, tokenRequests, settings, stop: () => close(server) };
}

function close(server: Server): Promise<void> {
  return new Promise((done) => {
    server.close(() => done());
    server.closeAllConnections();
  });
}

describe('OCI registry client against the reference registry', () => {
  let dir: string;
  let registry: Registry;
  let front: AuthFront;
  let http: HttpClient;
  let charts: PackagedChart[];
  const bus = createEventBus();
  const requests: BallastEvents['upstream:request'][] = [];
  bus.on('upstream:request', (event) => requests.push(event));
  const client = (options: Partial<OciRegistryClientOptions> = {}) =>
    createOciRegistryClient({
      url: `oci://${registry.host}/charts`,
      plainHttp: true,
      http,
      bus,
      ...options,
    });

  before(async () => {
    dir = await tempDir('oci-client');
    registry = await startRegistry();
    front = await startAuthFront(registry);
    http = createHttpClient({ timeouts, maxRedirects: 3 });
    ({ charts } = await buildClassicRepo(join(dir, 'repo'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '1.0.0+build.7'] },
        { chart: 'demo-lib', versions: ['2.0.0'] },
      ],
    }));
    await helmPushAll(
      registry.host,
      'charts',
      charts.map((chart) => chart.path),
    );
  });
  after(async () => {
    await Promise.all([front?.stop(), registry?.stop(), http?.close()]);
  });

  it('lists tags and fetches manifests byte for byte, verified', async () => {
    const oci = client();
    await oci.ping();
    assert.deepEqual((await oci.listTags('demo-app')).sort(), ['0.1.0', '1.0.0_build.7']);
    const direct = await fetch(`${registry.url}/v2/charts/demo-app/manifests/1.0.0_build.7`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const rawBytes = Buffer.from(await direct.arrayBuffer());
    const byTag = await oci.getManifest('demo-app', '1.0.0_build.7');
    assert.deepEqual(byTag.bytes, rawBytes);
    assert.equal(byTag.digest, direct.headers.get('docker-content-digest'));
    assert.equal(byTag.mediaType, 'application/vnd.oci.image.manifest.v1+json');
    const archive = charts.find((c) => c.version === '1.0.0+build.7');
    assert.equal(byTag.chart.chart.digest, `sha256:${archive?.digest}`);
    const byDigest = await oci.getManifest('demo-app', byTag.digest);
    assert.deepEqual(byDigest.bytes, rawBytes);
    assert.equal(
      oci.chartUrl('demo-app', '1.0.0_build.7'),
      `oci://${registry.host}/charts/demo-app:1.0.0_build.7`,
    );
    assert.ok(requests.some((e) => e.kind === 'oci-manifest' && e.outcome === 'ok'));
  });

  it('reads the config as chart metadata and streams the chart into the store, verified', async () => {
    const oci = client();
    const store = await createFsStore({ root: join(dir, 'store-ok') });
    const { chart } = await oci.getManifest('demo-lib', '2.0.0');
    const metadata = await oci.getConfig('demo-lib', chart.config);
    assert.equal(metadata.name, 'demo-lib');
    assert.equal(metadata.version, '2.0.0');
    assert.equal(metadata.type, 'library');
    const blob = await oci.storeBlob(store, 'demo-lib', chart.chart, {
      maxBytes: 1 << 20,
      what: 'chart',
    });
    assert.equal(blob.digest, chart.chart.digest);
    const archive = await readFile(charts.find((c) => c.name === 'demo-lib')?.path ?? '');
    assert.deepEqual(Buffer.concat(await (await store.readBlob(blob.digest)).toArray()), archive);
    await store.close();
  });

  it('pulls a chart version verified against the digest an index gave', async () => {
    const oci = client();
    const store = await createFsStore({ root: join(dir, 'store-pull') });
    const archive = charts.find((c) => c.version === '1.0.0+build.7');
    const expectedDigest = `sha256:${archive?.digest}` as const;
    const pulled = await pullChartVersion(oci, store, {
      chart: 'demo-app',
      version: '1.0.0+build.7',
      expectedDigest,
      maxChartBytes: 1 << 20,
      maxProvenanceBytes: 1 << 16,
    });
    assert.equal(pulled.chart.digest, expectedDigest);
    assert.equal(pulled.config.digest, pulled.manifest.chart.config.digest);
    const other = charts.find((c) => c.version === '0.1.0');
    await assert.rejects(
      pullChartVersion(oci, store, {
        chart: 'demo-app',
        version: '1.0.0+build.7',
        expectedDigest: `sha256:${other?.digest}`,
        maxChartBytes: 1 << 20,
        maxProvenanceBytes: 1 << 16,
      }),
      /chart demo-app-1.0.0\+build.7.tgz \(per its OCI manifest\) from .* does not match its digest/,
    );
    assert.equal(await store.statBlob(`sha256:${other?.digest}`), undefined);
    await store.close();
  });

  it('fetches a Bearer token anonymously, once per scope, and renews it when it expires', async () => {
    Object.assign(front.settings, {
      mode: 'bearer',
      credentials: undefined,
      expiresIn: 60,
      realm: undefined,
    });
    front.tokenRequests.length = 0;
    let now = 1_000_000;
    const oci = client({ url: `oci://${front.host}/charts`, now: () => now });
    assert.deepEqual(await oci.listTags('demo-lib'), ['2.0.0']);
    const { chart } = await oci.getManifest('demo-lib', '2.0.0');
    await oci.getConfig('demo-lib', chart.config);
    assert.equal(front.tokenRequests.length, 1, 'one token for one scope');
    const [first] = front.tokenRequests;
    assert.equal(first?.searchParams.get('service'), 'ballast-test');
    assert.equal(first?.searchParams.get('scope'), 'repository:charts/demo-lib:pull');
    now += 61_000;
    await oci.listTags('demo-lib');
    assert.equal(front.tokenRequests.length, 2, 'a new token once the old one expired');
    await oci.listTags('demo-app');
    assert.equal(front.tokenRequests.length, 3, 'another scope, another token');
  });

  it('sends configured credentials to the token endpoint, and says so when they are refused', async () => {
    Object.assign(front.settings, { mode: 'bearer', credentials: 'ci:s3cret', realm: undefined });
    const withCredentials = client({
      url: `oci://${front.host}/charts`,
      credentials: { username: 'ci', password: 's3cret' },
    });
    assert.deepEqual(await withCredentials.listTags('demo-lib'), ['2.0.0']);
    const anonymous = client({ url: `oci://${front.host}/charts` });
    await assert.rejects(anonymous.listTags('demo-lib'), (error: unknown) => {
      assert.ok(isBallastError(error, 'BALLAST_OCI_AUTH_FAILED'), String(error));
      assert.match(
        error.message,
        /token endpoint .*\/token .*refused anonymous access \(HTTP 401\)/,
      );
      assert.doesNotMatch(error.message, /s3cret/);
      return true;
    });
  });

  it('answers a Basic challenge with credentials, and fails clearly without', async () => {
    Object.assign(front.settings, { mode: 'basic', credentials: 'ci:s3cret' });
    const withCredentials = client({
      url: `oci://${front.host}/charts`,
      credentials: { username: 'ci', password: 's3cret' },
    });
    assert.deepEqual(await withCredentials.listTags('demo-lib'), ['2.0.0']);
    await assert.rejects(
      client({ url: `oci://${front.host}/charts` }).listTags('demo-lib'),
      /basic auth and no credentials/,
    );
  });

  it('fails clearly when the registry refuses even a fresh token', async () => {
    Object.assign(front.settings, { mode: 'refuse-tokens', credentials: undefined });
    await assert.rejects(
      client({ url: `oci://${front.host}/charts` }).listTags('demo-lib'),
      (error: unknown) => {
        assert.ok(isBallastError(error, 'BALLAST_OCI_AUTH_FAILED'), String(error));
        assert.match(error.message, /still answers 401 after authenticating/);
        return true;
      },
    );
  });

  it('follows a token realm on another origin, but not its redirect to a third one', async () => {
    const reached: string[] = [];
    const sink = createServer((req, res) => {
      reached.push(req.url ?? '');
      res.end('{"token":"stolen"}');
    });
    sink.listen(0, '127.0.0.1');
    await once(sink, 'listening');
    const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;
    // The realm the registry names is on another origin: allowed. It redirects onwards: not.
    const realm = createServer((_req, res) => {
      res.writeHead(302, { location: `${sinkUrl}/token` }).end();
    });
    realm.listen(0, '127.0.0.1');
    await once(realm, 'listening');
    const realmUrl = `http://127.0.0.1:${(realm.address() as AddressInfo).port}`;
    try {
      Object.assign(front.settings, { mode: 'bearer', realm: `${realmUrl}/token` });
      await assert.rejects(
        client({ url: `oci://${front.host}/charts` }).listTags('demo-lib'),
        (error: unknown) => {
          assert.ok(isBallastError(error, 'BALLAST_REDIRECT_HOST_NOT_ALLOWED'), String(error));
          assert.ok(error.message.includes(`${sinkUrl}/token`), error.message);
          assert.match(error.message, new RegExp(`its token realm ${realmUrl}`));
          return true;
        },
      );
      assert.deepEqual(reached, [], 'nothing reached the third origin');
    } finally {
      front.settings.realm = undefined;
      await Promise.all([close(sink), close(realm)]);
    }
  });

  it('times out on a token endpoint that never answers, naming it', async () => {
    const silent = createServer(() => {
      // Accepts the request and never answers.
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    const { port } = silent.address() as AddressInfo;
    const impatient = createHttpClient({
      timeouts: { ...timeouts, headers: 400 },
      maxRedirects: 0,
    });
    try {
      Object.assign(front.settings, { mode: 'bearer', realm: `http://127.0.0.1:${port}/token` });
      const started = Date.now();
      await assert.rejects(
        client({ url: `oci://${front.host}/charts`, http: impatient }).listTags('demo-lib'),
        (error: unknown) => {
          assert.ok(isBallastError(error, 'BALLAST_UPSTREAM_TIMEOUT'), String(error));
          assert.match(
            error.message,
            new RegExp(
              `token endpoint http://127.0.0.1:${port}/token of oci://${front.host}/charts did not answer in time`,
            ),
          );
          return true;
        },
      );
      assert.ok(Date.now() - started < 5_000, 'gave up at the headers timeout');
    } finally {
      front.settings.realm = undefined;
      await Promise.all([impatient.close(), close(silent)]);
    }
  });
});

describe('OCI registry client paging', () => {
  it('follows Link pages of a tag list to the end', async (t) => {
    const tags = ['1.0.0', '1.1.0', '2.0.0', '2.0.1_b', '3.0.0'];
    const app = Fastify();
    const seen: string[] = [];
    app.addHook('onRequest', async (request) => {
      seen.push(request.url);
    });
    const store = await createFsStore({ root: await tempDir('oci-paging', t) });
    registerOciRoutes(app, {
      store,
      source: {
        catalog: async () => ['stable/demo'],
        tags: async (repo, chart) => (repo === 'stable' && chart === 'demo' ? tags : undefined),
        manifest: async () => undefined,
        blob: async () => undefined,
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const http = createHttpClient({ timeouts, maxRedirects: 0 });
    t.after(() => Promise.all([app.close(), http.close(), store.close()]));
    const { port } = app.server.address() as AddressInfo;
    const oci = createOciRegistryClient({
      url: `oci://127.0.0.1:${port}/stable`,
      plainHttp: true,
      http,
      bus: createEventBus(),
      tagPageSize: 2,
    });
    assert.deepEqual(await oci.listTags('demo'), tags);
    assert.deepEqual(seen, [
      '/v2/stable/demo/tags/list?n=2',
      '/v2/stable/demo/tags/list?last=1.1.0&n=2',
      '/v2/stable/demo/tags/list?last=2.0.1_b&n=2',
    ]);
  });
});
