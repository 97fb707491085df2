import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import Fastify, { type FastifyInstance } from 'fastify';
import { parseIndex } from '../src/helm/index-parse.ts';
import { createEventBus } from '../src/observability/events.ts';
import { sha256Digest } from '../src/oci/digest.ts';
import { type OciContentSource, registerOciRoutes } from '../src/server/routes/oci-routes.ts';
import { createFsStore } from '../src/store/fs/fs-store.ts';
import type { Store } from '../src/store/store.ts';
import { createHttpClient, type HttpClient } from '../src/upstream/http-client.ts';
import { createOciRegistryClient } from '../src/upstream/oci-registry-client.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { peerBinary } from './support/debian-peers.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { httpRequest } from './support/http.ts';
import {
  createClassicChartSource,
  createPullThroughSource,
  helmPushAll,
} from './support/oci-sources.ts';
import { type Registry, startRegistry } from './support/registry.ts';
import { tempDir } from './support/temp-dir.ts';

const run = promisify(execFile);
const ociManifest = 'application/vnd.oci.image.manifest.v1+json';

/** One source per repo name, as the mirror will hand the routes one for all repos. */
function byRepo(sources: Record<string, OciContentSource>): OciContentSource {
  const of = (repo: string) => sources[repo];
  return {
    catalog: async (signal) =>
      (await Promise.all(Object.values(sources).map((s) => s.catalog(signal)))).flat(),
    tags: async (repo, chart, signal) => of(repo)?.tags(repo, chart, signal),
    manifest: async (repo, chart, ref, signal) => of(repo)?.manifest(repo, chart, ref, signal),
    blob: async (repo, chart, digest, signal) => of(repo)?.blob(repo, chart, digest, signal),
  };
}

async function classicSource(store: Store, classic: ClassicRepo) {
  const index = parseIndex(await readFile(classic.indexPath), 'classic').index;
  const createdOf = (name: string, version: string) =>
    index.entries[name]?.find((e) => e.version === version)?.created as string | undefined;
  return createClassicChartSource(
    store,
    'stable',
    classic.charts.map((c) => ({ path: c.path, created: createdOf(c.name, c.version) })),
  );
}

describe('the OCI face (/v2/) with real Helm and skopeo', () => {
  let dir: string;
  let classic: ClassicRepo;
  let registry: Registry;
  let http: HttpClient;
  let store: Store;
  let app: FastifyInstance;
  let host: string;
  let base: string;
  let stable: Awaited<ReturnType<typeof createClassicChartSource>>;

  before(async () => {
    dir = await tempDir('oci-routes');
    classic = await buildClassicRepo(join(dir, 'classic'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '1.0.0+build.7'] },
        { chart: 'demo-lib', versions: ['2.0.0'] },
      ],
    });
    registry = await startRegistry();
    await helmPushAll(
      registry.host,
      'charts',
      classic.charts.map((c) => c.path),
    );
    store = await createFsStore({ root: join(dir, 'store') });
    http = createHttpClient({
      timeouts: { connect: 2_000, headers: 5_000, body: 5_000 },
      maxRedirects: 3,
    });
    stable = await classicSource(store, classic);
    const upstreamClient = createOciRegistryClient({
      url: `oci://${registry.host}/charts`,
      plainHttp: true,
      http,
      bus: createEventBus(),
    });
    const mirrored = createPullThroughSource(store, 'mirrored', upstreamClient, [
      'demo-app',
      'demo-lib',
    ]);
    app = Fastify({ routerOptions: { maxParamLength: 300 } });
    registerOciRoutes(app, { source: byRepo({ stable, mirrored }), store, maxPageSize: 50 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    host = `127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    base = `http://${host}`;
  });
  after(async () => {
    await Promise.all([app?.close(), registry?.stop(), http?.close()]);
    await store?.close();
  });

  it('answers the base, catalog and tag list endpoints with paging', async () => {
    const v2 = await httpRequest(`${base}/v2/`);
    assert.equal(v2.status, 200);
    assert.equal(v2.headers['docker-distribution-api-version'], 'registry/2.0');
    const catalog = await httpRequest(`${base}/v2/_catalog?n=3`);
    assert.deepEqual(JSON.parse(catalog.body.toString()).repositories, [
      'mirrored/demo-app',
      'mirrored/demo-lib',
      'stable/demo-app',
    ]);
    assert.equal(catalog.headers.link, '</v2/_catalog?last=stable%2Fdemo-app&n=3>; rel="next"');
    const rest = await httpRequest(`${base}/v2/_catalog?last=stable%2Fdemo-app&n=3`);
    assert.deepEqual(JSON.parse(rest.body.toString()), { repositories: ['stable/demo-lib'] });
    assert.equal(rest.headers.link, undefined);

    const tags = await httpRequest(`${base}/v2/stable/demo-app/tags/list?n=1`);
    assert.deepEqual(JSON.parse(tags.body.toString()), {
      name: 'stable/demo-app',
      tags: ['0.1.0'],
    });
    assert.equal(tags.headers.link, '</v2/stable/demo-app/tags/list?last=0.1.0&n=1>; rel="next"');
    const all = await httpRequest(`${base}/v2/mirrored/demo-app/tags/list`);
    assert.deepEqual(JSON.parse(all.body.toString()).tags, ['0.1.0', '1.0.0_build.7']);
  });

  it('serves manifests with the headers clients rely on, by tag and by digest', async () => {
    const artifact = stable.artifacts.get('demo-app:1.0.0_build.7');
    assert.ok(artifact);
    const head = await httpRequest(`${base}/v2/stable/demo-app/manifests/1.0.0_build.7`, {
      method: 'HEAD',
    });
    assert.equal(head.status, 200);
    assert.equal(head.headers['content-type'], ociManifest);
    assert.equal(head.headers['content-length'], String(artifact.manifest.length));
    assert.equal(head.headers['docker-content-digest'], artifact.manifestDigest);
    assert.equal(head.body.length, 0);
    const byDigest = await httpRequest(
      `${base}/v2/stable/demo-app/manifests/${artifact.manifestDigest}`,
    );
    assert.deepEqual(byDigest.body, artifact.manifest);
    assert.equal(sha256Digest(byDigest.body), artifact.manifestDigest);
    const notModified = await httpRequest(`${base}/v2/stable/demo-app/manifests/1.0.0_build.7`, {
      headers: { 'if-none-match': `"${artifact.manifestDigest}"` },
    });
    assert.equal(notModified.status, 304);
  });

  it('serves blobs whole, in ranges, and by HEAD', async () => {
    const archive = await readFile(classic.charts.find((c) => c.version === '0.1.0')?.path ?? '');
    const digest = sha256Digest(archive);
    const url = `${base}/v2/stable/demo-app/blobs/${digest}`;
    const whole = await httpRequest(url);
    assert.equal(whole.status, 200);
    assert.deepEqual(whole.body, archive);
    assert.equal(whole.headers['docker-content-digest'], digest);
    const part = await httpRequest(url, { headers: { range: 'bytes=10-19' } });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, archive.subarray(10, 20));
    assert.equal(part.headers['content-range'], `bytes 10-19/${archive.length}`);
    const head = await httpRequest(url, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], String(archive.length));
    const beyond = await httpRequest(url, { headers: { range: `bytes=${archive.length}-` } });
    assert.equal(beyond.status, 416);
  });

  it("answers with the spec's error JSON and codes", async () => {
    const expectError = async (path: string, status: number, code: string, method?: 'GET') => {
      const response = await httpRequest(`${base}${path}`, method ? { method } : {});
      assert.equal(response.status, status, path);
      assert.equal(JSON.parse(response.body.toString()).errors[0].code, code, path);
    };
    await expectError('/v2/stable/nope/tags/list', 404, 'NAME_UNKNOWN');
    await expectError('/v2/elsewhere/demo-app/tags/list', 404, 'NAME_UNKNOWN');
    await expectError('/v2/stable/demo-app/manifests/9.9.9', 404, 'MANIFEST_UNKNOWN');
    await expectError(
      `/v2/stable/demo-app/manifests/sha256:${'0'.repeat(64)}`,
      404,
      'MANIFEST_UNKNOWN',
    );
    await expectError(`/v2/stable/demo-app/blobs/sha256:${'0'.repeat(64)}`, 404, 'BLOB_UNKNOWN');
    await expectError('/v2/stable/demo-app/tags/list?n=many', 400, 'PAGINATION_NUMBER_INVALID');
    await expectError('/v2/a/b/c/manifests/1.0.0', 404, 'NAME_UNKNOWN');
    const put = await fetch(`${base}/v2/stable/demo-app/manifests/1.0.0`, {
      method: 'PUT',
      body: '{}',
    });
    assert.equal(put.status, 405);
    assert.equal(
      ((await put.json()) as { errors: { code: string }[] }).errors[0]?.code,
      'UNSUPPORTED',
    );
  });

  it('builds the same manifest bytes and digests on every run', async () => {
    const again = await classicSource(await createFsStore({ root: join(dir, 'store-2') }), classic);
    for (const [key, artifact] of stable.artifacts) {
      assert.deepEqual(again.artifacts.get(key)?.manifest, artifact.manifest, key);
      assert.equal(again.artifacts.get(key)?.manifestDigest, artifact.manifestDigest, key);
    }
  });

  for (const major of helmMajors) {
    it(`Helm ${major} pulls and shows charts from both kinds of repo`, async () => {
      await using helm = await createHelm(major);
      const out = join(dir, `helm${major}`);
      await mkdir(out, { recursive: true });
      for (const repo of ['stable', 'mirrored']) {
        const dest = join(out, repo);
        await mkdir(dest, { recursive: true });
        const ref = `oci://${host}/${repo}/demo-app`;
        await helm.run(['pull', ref, '--version', '1.0.0+build.7', '--plain-http', '-d', dest]);
        const pulled = await readFile(join(dest, 'demo-app-1.0.0+build.7.tgz'));
        const expected = classic.charts.find((c) => c.version === '1.0.0+build.7');
        assert.equal(
          sha256Digest(pulled),
          `sha256:${expected?.digest}`,
          `${repo}: same chart bytes`,
        );
        const latest = join(dest, 'latest');
        await mkdir(latest, { recursive: true });
        await helm.run(['pull', ref, '--plain-http', '-d', latest]);
        assert.ok((await readFile(join(latest, 'demo-app-1.0.0+build.7.tgz'))).length > 0);
        const shown = (
          await helm.run([
            'show',
            'chart',
            `oci://${host}/${repo}/demo-lib`,
            '--version',
            '2.0.0',
            '--plain-http',
          ])
        ).stdout;
        assert.match(shown, /^name: demo-lib$/m, repo);
        assert.match(shown, /^type: library$/m, repo);
      }
    });
  }

  it('skopeo lists, inspects and copies, with the digests of the source', async () => {
    const skopeo = peerBinary('skopeo');
    const policy = join(dir, 'policy.json');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] })),
    );
    const env = { ...process.env, HOME: dir, REGISTRY_AUTH_FILE: join(dir, 'auth.json') };
    const skopeoRun = (args: string[]) =>
      run(skopeo, ['--policy', policy, ...args], { env, timeout: 60_000 });

    const listed = await skopeoRun([
      'list-tags',
      '--tls-verify=false',
      '--no-creds',
      `docker://${host}/stable/demo-app`,
    ]);
    assert.deepEqual(JSON.parse(listed.stdout).Tags, ['0.1.0', '1.0.0_build.7']);

    for (const [repo, expected] of [
      ['stable', async () => stable.artifacts.get('demo-app:0.1.0')?.manifest],
      [
        'mirrored',
        async () => {
          const direct = await fetch(`${registry.url}/v2/charts/demo-app/manifests/0.1.0`, {
            headers: { accept: ociManifest },
          });
          return Buffer.from(await direct.arrayBuffer());
        },
      ],
    ] as const) {
      const raw = await skopeoRun([
        'inspect',
        '--raw',
        '--tls-verify=false',
        '--no-creds',
        `docker://${host}/${repo}/demo-app:0.1.0`,
      ]);
      const source = await expected();
      assert.ok(source);
      assert.equal(
        raw.stdout,
        source.toString(),
        `${repo}: inspect --raw gives the source's bytes`,
      );
      const layout = join(dir, `layout-${repo}`);
      await skopeoRun([
        'copy',
        '--src-tls-verify=false',
        '--src-no-creds',
        `docker://${host}/${repo}/demo-app:0.1.0`,
        `oci:${layout}:demo`,
      ]);
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
      assert.equal(
        index.manifests[0].digest,
        sha256Digest(source),
        `${repo}: copied manifest keeps its digest`,
      );
      const layer = JSON.parse(source.toString()).layers[0].digest.slice('sha256:'.length);
      const copied = await readFile(join(layout, 'blobs', 'sha256', layer));
      assert.equal(sha256Digest(copied), `sha256:${layer}`);
    }
  });
});
