import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Fastify from 'fastify';
import { isBallastError } from '../src/errors/ballast-error.ts';
import type { ErrorCode } from '../src/errors/catalogue.ts';
import { buildOciIndex } from '../src/mirror/oci-index.ts';
import { createEventBus } from '../src/observability/events.ts';
import { canonicalJsonBytes } from '../src/oci/canonical-json.ts';
import { sha256Digest } from '../src/oci/digest.ts';
import { registerOciRoutes } from '../src/server/routes/oci-routes.ts';
import { createFsStore } from '../src/store/fs/fs-store.ts';
import type { Store } from '../src/store/store.ts';
import { createHttpClient, type HttpClient } from '../src/upstream/http-client.ts';
import {
  createOciRegistryClient,
  type OciRegistryClient,
} from '../src/upstream/oci-registry-client.ts';
import { httpRequest } from './support/http.ts';
import { tmpFiles } from './support/store-snapshot.ts';
import { tempDir } from './support/temp-dir.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const configMediaType = 'application/vnd.cncf.helm.config.v1+json';
const layerMediaType = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
const manifestType = 'application/vnd.oci.image.manifest.v1+json';

function manifestFor(config: Buffer, layer: Buffer, configType = configMediaType): Buffer {
  return canonicalJsonBytes({
    schemaVersion: 2,
    config: { mediaType: configType, digest: sha256Digest(config), size: config.length },
    layers: [{ mediaType: layerMediaType, digest: sha256Digest(layer), size: layer.length }],
  });
}

/** A registry that gets everything wrong in one way per repository. */
async function startHostileRegistry() {
  const routes = new Map<string, Handler>();
  const seen: string[] = [];
  const json =
    (body: Buffer | string, headers: Record<string, string> = {}): Handler =>
    (_req, res) =>
      void res.writeHead(200, { 'content-type': 'application/json', ...headers }).end(body);
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    seen.push(path);
    const handler = routes.get(path.split('?')[0] ?? path);
    if (handler) handler(req, res);
    else
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"NAME_UNKNOWN"}]}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const stop = () =>
    new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
  return { host: `127.0.0.1:${port}`, routes, seen, json, stop };
}

describe('bad input from an OCI upstream and to the OCI face', () => {
  let hostile: Awaited<ReturnType<typeof startHostileRegistry>>;
  let http: HttpClient;
  let client: OciRegistryClient;
  let store: Store;
  let storeRoot: string;
  const chartBytes = Buffer.from('pretend chart archive');
  const goodConfig = Buffer.from(
    JSON.stringify({ name: 'mismatch', version: '1.0.0', apiVersion: 'v2' }),
  );
  const notChartConfig = Buffer.from(JSON.stringify({ hello: 'world' }));
  const big = Buffer.alloc(2 * 1024 * 1024, 7);

  const storedBlobs = async () => {
    const root = join(storeRoot, 'blobs', 'sha256');
    const dirs = await readdir(root);
    const files = await Promise.all(dirs.map((d) => readdir(join(root, d))));
    return { blobs: files.flat(), temp: await tmpFiles(storeRoot) };
  };
  const failsWith = async (work: Promise<unknown>, code: ErrorCode, pattern: RegExp) =>
    assert.rejects(work, (error: unknown) => {
      assert.ok(isBallastError(error, code), `${code} expected, got ${String(error)}`);
      assert.match(error.message, pattern);
      return true;
    });

  before(async () => {
    hostile = await startHostileRegistry();
    storeRoot = await tempDir('oci-bad-store');
    store = await createFsStore({ root: storeRoot });
    http = createHttpClient({
      timeouts: { connect: 2_000, headers: 3_000, body: 3_000 },
      maxRedirects: 0,
    });
    client = createOciRegistryClient({
      url: `oci://${hostile.host}/bad`,
      plainHttp: true,
      http,
      bus: createEventBus(),
      limits: { configBytes: 64 * 1024, tagPages: 3 },
    });
    const { routes, json } = hostile;
    const good = manifestFor(goodConfig, chartBytes);
    const other = sha256Digest(Buffer.from('something else'));
    routes.set('/v2/bad/mismatch/tags/list', json('{"name":"bad/mismatch","tags":["1.0.0"]}'));
    routes.set(
      '/v2/bad/mismatch/manifests/1.0.0',
      json(good, { 'docker-content-digest': other, 'content-type': manifestType }),
    );
    routes.set(`/v2/bad/mismatch/manifests/${other}`, json(good, { 'content-type': manifestType }));
    routes.set(
      '/v2/bad/weird/manifests/1.0.0',
      json(good, { 'docker-content-digest': 'banana', 'content-type': manifestType }),
    );
    routes.set(
      '/v2/bad/garbage/tags/list',
      (_req, res) =>
        void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>'),
    );
    routes.set('/v2/bad/notachart/tags/list', json('{"tags":["1.0.0","2.0.0"]}'));
    routes.set(
      '/v2/bad/notachart/manifests/1.0.0',
      json(manifestFor(notChartConfig, chartBytes), { 'content-type': manifestType }),
    );
    routes.set(`/v2/bad/notachart/blobs/${sha256Digest(notChartConfig)}`, json(notChartConfig));
    routes.set(
      '/v2/bad/notachart/manifests/2.0.0',
      json(manifestFor(notChartConfig, chartBytes, 'application/vnd.oci.image.config.v1+json'), {
        'content-type': manifestType,
      }),
    );
    routes.set(
      `/v2/bad/huge/blobs/${sha256Digest(big)}`,
      (_req, res) => void res.writeHead(200, { 'content-length': String(big.length) }).end(big),
    );
    routes.set(`/v2/bad/chunked/blobs/${sha256Digest(big)}`, (_req, res) => {
      res.writeHead(200);
      res.write(big.subarray(0, 1024 * 1024));
      res.end(big.subarray(1024 * 1024));
    });
    routes.set(
      `/v2/bad/liar/blobs/${sha256Digest(chartBytes)}`,
      json(Buffer.from('not the chart you asked for')),
    );
    routes.set(
      '/v2/bad/elsewhere/tags/list',
      json('{"tags":["1"]}', {
        link: '<http://127.0.0.2:1/v2/bad/elsewhere/tags/list?last=1>; rel="next"',
      }),
    );
    routes.set(
      '/v2/bad/circle/tags/list',
      json('{"tags":["1"]}', { link: '</v2/bad/circle/tags/list?n=1>; rel="next"' }),
    );
  });
  after(async () => {
    await Promise.all([hostile?.stop(), http?.close()]);
    await store?.close();
  });

  it('refuses a manifest whose digest does not match, by tag and by digest', async () => {
    await failsWith(
      client.getManifest('mismatch', '1.0.0'),
      'BALLAST_DIGEST_MISMATCH',
      /manifest bad\/mismatch:1.0.0 .* does not match its digest sha256:\w+; nothing was stored/,
    );
    await failsWith(
      client.getManifest('weird', '1.0.0'),
      'BALLAST_OCI_RESPONSE_INVALID',
      /Docker-Content-Digest header is not a digest/,
    );
    const other = sha256Digest(Buffer.from('something else'));
    await failsWith(
      client.getManifest('mismatch', other),
      'BALLAST_DIGEST_MISMATCH',
      /manifest bad\/mismatch@sha256/,
    );
  });

  it('refuses a tag list that is not JSON, and Link pages that leave or go round', async () => {
    await failsWith(
      client.listTags('garbage'),
      'BALLAST_OCI_RESPONSE_INVALID',
      /tag list of bad\/garbage .* not valid: the tag list is not JSON/,
    );
    await failsWith(client.listTags('elsewhere'), 'BALLAST_OCI_RESPONSE_INVALID', /another origin/);
    await failsWith(
      client.listTags('circle'),
      'BALLAST_OCI_RESPONSE_INVALID',
      /links back to a page already read/,
    );
    await failsWith(
      buildOciIndex({ client, charts: ['mismatch', 'garbage'] }),
      'BALLAST_OCI_RESPONSE_INVALID',
      /not JSON/,
    );
  });

  it('refuses a config blob that is not a chart, and skips such versions in an index', async () => {
    const { chart } = await client.getManifest('notachart', '1.0.0');
    await failsWith(
      client.getConfig('notachart', chart.config),
      'BALLAST_OCI_CONFIG_INVALID',
      /chart metadata has no name/,
    );
    await failsWith(
      client.getManifest('notachart', '2.0.0'),
      'BALLAST_OCI_MANIFEST_INVALID',
      /not a Helm chart/,
    );
    const build = await buildOciIndex({ client, charts: ['mismatch', 'notachart'] });
    assert.equal(build.versions, 0);
    assert.deepEqual(
      build.skipped
        .map((s) => `${s.chart}@${s.version}: ${s.reason.replace(/ from .*? (is|does)/, ' … $1')}`)
        .sort(),
      [
        // The refused manifest's own digest is not quoted: only what was expected.
        `mismatch@1.0.0: manifest bad/mismatch:1.0.0 … does not match its digest ${sha256Digest(Buffer.from('something else'))}; nothing was stored`,
        `notachart@1.0.0: config blob ${sha256Digest(notChartConfig)} … is not chart metadata: chart metadata has no name`,
        'notachart@2.0.0: manifest bad/notachart:2.0.0 … is not a Helm chart manifest: the config has media type application/vnd.oci.image.config.v1+json, not application/vnd.cncf.helm.config.v1+json: not a Helm chart',
      ],
    );
  });

  it('stops a blob larger than the limit and one with the wrong bytes, storing nothing', async () => {
    const request = { maxBytes: 1024 * 1024, what: 'chart big-1.0.0.tgz' };
    await failsWith(
      client.storeBlob(store, 'huge', { digest: sha256Digest(big) }, request),
      'BALLAST_BODY_TOO_LARGE',
      /chart big-1.0.0.tgz .* exceeds the limit of 1048576 bytes/,
    );
    await failsWith(
      client.storeBlob(store, 'chunked', { digest: sha256Digest(big) }, request),
      'BALLAST_BODY_TOO_LARGE',
      /exceeds the limit/,
    );
    await failsWith(
      client.storeBlob(store, 'huge', { digest: sha256Digest(big), size: big.length }, request),
      'BALLAST_BODY_TOO_LARGE',
      /exceeds the limit/,
    );
    await failsWith(
      client.storeBlob(store, 'liar', { digest: sha256Digest(chartBytes) }, request),
      'BALLAST_DIGEST_MISMATCH',
      new RegExp(`does not match its digest ${sha256Digest(chartBytes)}; nothing was stored$`),
    );
    assert.deepEqual(await storedBlobs(), { blobs: [], temp: [] });
  });

  it('refuses names, tags and digests that try path traversal before any request', async () => {
    const before = hostile.seen.length;
    await failsWith(client.listTags('../../etc'), 'BALLAST_OCI_REFERENCE_INVALID', /chart name/);
    await failsWith(client.listTags('a/b'), 'BALLAST_OCI_REFERENCE_INVALID', /no slashes/);
    await failsWith(
      client.getManifest('demo', '../../x'),
      'BALLAST_OCI_REFERENCE_INVALID',
      /manifest digest/,
    );
    await failsWith(
      client.storeBlob(
        store,
        'demo',
        { digest: 'sha256:../../../etc/passwd' as `sha256:${string}` },
        { maxBytes: 10, what: 'x' },
      ),
      'BALLAST_OCI_REFERENCE_INVALID',
      /blob digest/,
    );
    await failsWith(
      client.getManifest('demo', `sha512:${'a'.repeat(128)}`),
      'BALLAST_OCI_REFERENCE_INVALID',
      /sha256 digests only/,
    );
    assert.equal(hostile.seen.length, before, 'no request left Ballast');
    assert.throws(
      () => createOciRegistryClient({ url: 'oci://host/../etc', http, bus: createEventBus() }),
      /upstream URL/,
    );
  });

  it('answers traversal attempts on the OCI face with 400 and never asks the source', async (t) => {
    const asked: string[] = [];
    const app = Fastify({ routerOptions: { maxParamLength: 300 } });
    registerOciRoutes(app, {
      store,
      source: {
        catalog: async () => [],
        tags: async (repo, chart) => void asked.push(`${repo}/${chart}`),
        manifest: async (repo, chart, ref) => void asked.push(`${repo}/${chart}:${ref}`),
        blob: async (repo, chart, digest) => void asked.push(`${repo}/${chart}@${digest}`),
      },
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    t.after(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const cases: [string, number, string][] = [
      ['/v2/stable/..%2F..%2Fetc/tags/list', 400, 'NAME_INVALID'],
      ['/v2/..%2Fstable/demo/manifests/1.0.0', 400, 'NAME_INVALID'],
      ['/v2/stable/demo/manifests/..%2F..%2Fx', 400, 'TAG_INVALID'],
      ['/v2/stable/demo/blobs/sha256:..%2F..%2Fetc%2Fpasswd', 400, 'DIGEST_INVALID'],
      ['/v2/stable/demo/blobs/..%2F..%2Fsecret', 400, 'DIGEST_INVALID'],
      [`/v2/stable/demo/blobs/sha512:${'a'.repeat(128)}`, 400, 'DIGEST_INVALID'],
      ['/v2/stable/demo/../../etc/passwd', 404, 'NAME_UNKNOWN'],
      ['/v2/Stable/demo/tags/list', 400, 'NAME_INVALID'],
    ];
    for (const [path, status, code] of cases) {
      const response = await httpRequest(`${base}${path}`);
      assert.equal(response.status, status, path);
      assert.equal(JSON.parse(response.body.toString()).errors[0].code, code, path);
    }
    assert.deepEqual(asked, []);
  });
});
