import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type PackagedChart } from './support/classic-repo.ts';
import { httpRequest } from './support/http.ts';
import { helmPushAll } from './support/oci-sources.ts';
import { type Registry, startRegistry } from './support/registry.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// The OCI side of the redirect suite (see chaos-redirects.test.ts): a registry front that
// redirects blob and manifest requests, as registries do towards their storage CDN, but
// towards an internal address, or in a loop.

const cdnName = 'blobs.ballast.test';
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface RedirectingFront {
  port: number;
  /** Where a request path is redirected to (the path without the query), if anywhere. */
  redirects: Map<string, string>;
  stop(): Promise<void>;
}

/** Proxies the reference registry; `?direct` skips the redirects (the CDN's view). */
async function startRedirectingFront(registry: Registry): Promise<RedirectingFront> {
  const redirects = new Map<string, string>();
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const target = new URL(req.url ?? '/', 'http://front');
    const location = target.searchParams.has('direct') ? undefined : redirects.get(target.pathname);
    if (location) return void res.writeHead(307, { location }).end();
    const upstream = await fetch(`${registry.url}${target.pathname}`, {
      method: req.method,
      headers: { accept: req.headers.accept ?? '*/*' },
      redirect: 'manual',
    });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((value, key) => {
      if (key !== 'content-encoding' && key !== 'transfer-encoding') headers[key] = value;
    });
    res.writeHead(upstream.status, headers).end(Buffer.from(await upstream.arrayBuffer()));
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => res.writeHead(500).end(String(error)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    redirects,
    stop: () =>
      new Promise<void>((done) => {
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}

describe('chaos: an OCI registry redirecting blobs and manifests', () => {
  let work: string;
  let registry: Registry;
  let front: RedirectingFront;
  let internal: StaticServer;
  let ballast: BallastProcess;
  let charts: PackagedChart[];
  const file = (c: PackagedChart) => `${c.name}-${c.version}.tgz`;
  const blobPath = (c: PackagedChart) => `/v2/charts/demo-app/blobs/sha256:${c.digest}`;

  before(async () => {
    work = await tempDir('chaos-redirects-oci');
    const repo = await buildClassicRepo(join(work, 'charts'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '0.2.0', '0.3.0'] }],
    });
    charts = repo.charts.sort((a, b) => a.version.localeCompare(b.version));
    registry = await startRegistry();
    await helmPushAll(
      registry.host,
      'charts',
      charts.map((c) => c.path),
    );
    front = await startRedirectingFront(registry);
    await mkdir(join(work, 'internal'));
    await writeFile(join(work, 'internal', 'secret'), 'db_password: hunter2');
    internal = await startStaticServer({ root: join(work, 'internal') });
    ballast = await startBallastProcess({
      resolver: { hosts: { [cdnName]: ['127.0.0.1'] } },
      resilience: { deadline: '5s', hedge: { enabled: false } },
      repos: [
        {
          name: 'oci',
          upstreams: [
            { url: `oci://127.0.0.1:${front.port}/charts`, plainHttp: true, chartHosts: [cdnName] },
          ],
          charts: ['demo-app'],
        },
      ],
    });
    assert.equal((await httpRequest(`${ballast.url}/oci/index.yaml`)).status, 200);
  });

  after(async () => {
    await ballast?.stop();
    await Promise.all([front?.stop(), internal?.stop(), registry?.stop()]);
    if (work) await removeDir(work);
  });

  test('a chart blob redirected to an internal address: refused, naming the hop', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const target = charts[0] as PackagedChart;
    const hop = `${internal.url}/secret`;
    front.redirects.set(blobPath(target), hop);
    const response = await httpRequest(`${ballast.url}/oci/charts/${file(target)}`);
    assert.equal(response.status, 502, response.body.toString());
    const body = response.body.toString();
    assert.match(body, /BALLAST_REDIRECT_HOST_NOT_ALLOWED/);
    assert.ok(body.includes(hop), body);
    assert.doesNotMatch(body, /hunter2/);
    assert.deepEqual(internal.requests, []);
    // The config blob and manifest may be kept (they verified); the chart is not.
    const after = await storeSnapshot(ballast.dataDir);
    assert.ok(!after.some((line) => line.includes(target.digest)), 'chart blob not stored');
    assert.ok(
      before.every((line) => after.includes(line)),
      'nothing stored changed',
    );
  });

  test('a blob redirected to a chartHosts CDN is followed and verified', async () => {
    const target = charts[1] as PackagedChart;
    front.redirects.set(
      blobPath(target),
      `http://${cdnName}:${front.port}${blobPath(target)}?direct=1`,
    );
    const response = await httpRequest(`${ballast.url}/oci/charts/${file(target)}`);
    assert.equal(response.status, 200, response.body.toString());
    assert.equal(sha256(response.body), target.digest);
  });

  test('a manifest redirected to itself is a loop: permanent', async () => {
    const target = charts[2] as PackagedChart;
    const manifest = `/v2/charts/demo-app/manifests/${target.version}`;
    front.redirects.set(manifest, manifest);
    const started = performance.now();
    const response = await httpRequest(`${ballast.url}/oci/charts/${file(target)}`);
    assert.equal(response.status, 502, response.body.toString());
    assert.match(response.body.toString(), /BALLAST_TOO_MANY_REDIRECTS.*a loop/);
    assert.ok(performance.now() - started < 4_000, 'not retried until the deadline');
  });
});
