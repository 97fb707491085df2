import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseIndex } from '../src/helm/index-parse.ts';
import { buildOciIndex } from '../src/mirror/oci-index.ts';
import { createEventBus } from '../src/observability/events.ts';
import { createHttpClient, type HttpClient } from '../src/upstream/http-client.ts';
import {
  createOciRegistryClient,
  type OciRegistryClient,
} from '../src/upstream/oci-registry-client.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { helmPushAll } from './support/oci-sources.ts';
import { type Registry, startRegistry } from './support/registry.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { tempDir } from './support/temp-dir.ts';

interface SearchRow {
  name: string;
  version: string;
  app_version: string;
  description: string;
}

describe('index synthesised from an OCI upstream', () => {
  let dir: string;
  let registry: Registry;
  let classic: ClassicRepo;
  let http: HttpClient;
  let client: OciRegistryClient;
  const bus = createEventBus();
  const blobFetches: string[] = [];
  bus.on('upstream:request', (event) => {
    if (event.kind === 'oci-blob') blobFetches.push(event.kind);
  });
  const servers: StaticServer[] = [];

  before(async () => {
    dir = await tempDir('oci-index');
    classic = await buildClassicRepo(join(dir, 'classic'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0+build.7'] },
        { chart: 'demo-lib', versions: ['2.0.0-rc.1', '2.0.0'] },
      ],
    });
    registry = await startRegistry();
    // Helm 3 and Helm 4 take turns, so the index holds charts pushed by both.
    await helmPushAll(
      registry.host,
      'charts',
      classic.charts.map((chart) => chart.path),
    );
    // A tag that is not a version, as registries often carry: ignored.
    const manifest = await fetch(`${registry.url}/v2/charts/demo-app/manifests/0.1.0`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    const put = await fetch(`${registry.url}/v2/charts/demo-app/manifests/latest`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: Buffer.from(await manifest.arrayBuffer()),
    });
    assert.equal(put.status, 201);
    http = createHttpClient({
      timeouts: { connect: 2_000, headers: 5_000, body: 5_000 },
      maxRedirects: 3,
    });
    client = createOciRegistryClient({
      url: `oci://${registry.host}/charts`,
      plainHttp: true,
      http,
      bus,
    });
  });
  after(async () => {
    await Promise.all([registry?.stop(), http?.close(), ...servers.map((s) => s.stop())]);
  });

  it('lists the versions helm repo index lists, with the same digests, and passes parseIndex', async () => {
    const build = await buildOciIndex({ client, charts: ['demo-app', 'demo-lib', 'not-pushed'] });
    assert.equal(build.ignoredTags, 1);
    assert.deepEqual(build.skipped, [
      {
        chart: 'not-pushed',
        version: '',
        reason: `oci://${registry.host}/charts has no repository not-pushed`,
      },
    ]);
    const parsed = parseIndex(Buffer.from(JSON.stringify(build.index)), 'oci index');
    assert.deepEqual(parsed.skipped, []);
    const versionsOf = (entries: Record<string, { version: string; digest?: string }[]>) =>
      Object.entries(entries)
        .flatMap(([name, list]) => list.map((e) => `${name}@${e.version} ${e.digest}`))
        .sort();
    const classicIndex = parseIndex(await readFile(classic.indexPath), 'classic').index;
    assert.deepEqual(versionsOf(parsed.index.entries), versionsOf(classicIndex.entries));
    assert.equal(build.versions, 5);

    const app = build.index.entries['demo-app'] ?? [];
    assert.deepEqual(
      app.map((e) => e.version),
      ['1.0.0+build.7', '0.2.0', '0.1.0'],
      'newest first',
    );
    const [newest] = app;
    assert.deepEqual(newest?.urls, [`oci://${registry.host}/charts/demo-app:1.0.0_build.7`]);
    assert.ok(!Number.isNaN(Date.parse(String(newest?.created))), 'created from the annotation');
    assert.equal(newest?.appVersion, '1.0.0+build.7');
    assert.equal(build.index.entries['demo-lib']?.[0]?.type, 'library');
    const source = build.sources.get('demo-app-1.0.0+build.7.tgz');
    assert.equal(source?.tag, '1.0.0_build.7');
    assert.equal(source?.chartDigest, `sha256:${newest?.digest}`);
  });

  it('reuses the entries of tags whose manifest did not change', async () => {
    const first = await buildOciIndex({ client, charts: ['demo-app', 'demo-lib'] });
    blobFetches.length = 0;
    const second = await buildOciIndex({
      client,
      charts: ['demo-app', 'demo-lib'],
      previous: first,
    });
    assert.equal(blobFetches.length, 0, 'no config blob fetched again');
    assert.deepEqual(second.index, first.index);
  });

  it('is read by Helm 3 and 4 like the classic index of the same archives', async () => {
    const build = await buildOciIndex({ client, charts: ['demo-app', 'demo-lib'] });
    // Serve the synthesised index the way a mirror would: chart URLs pointing at files.
    const synthDir = join(dir, 'synth');
    await mkdir(synthDir, { recursive: true });
    for (const list of Object.values(build.index.entries))
      for (const entry of list) entry.urls = [`${entry.name}-${entry.version}.tgz`];
    await writeFile(join(synthDir, 'index.yaml'), JSON.stringify(build.index));
    for (const chart of classic.charts)
      await copyFile(chart.path, join(synthDir, basename(chart.path)));
    const synth = await startStaticServer({ root: synthDir });
    const original = await startStaticServer({ root: classic.dir });
    servers.push(synth, original);

    for (const major of helmMajors) {
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'synth', synth.url]);
      await helm.run(['repo', 'add', 'classic', original.url]);
      const search = async (repo: string) =>
        (
          JSON.parse(
            (await helm.run(['search', 'repo', `${repo}/`, '--versions', '--devel', '-o', 'json']))
              .stdout,
          ) as SearchRow[]
        )
          .map((row) => ({ ...row, name: row.name.replace(`${repo}/`, '') }))
          .sort((a, b) => `${a.name}@${a.version}`.localeCompare(`${b.name}@${b.version}`));
      const synthRows = await search('synth');
      assert.equal(synthRows.length, 5, `Helm ${major} lists every version`);
      assert.deepEqual(synthRows, await search('classic'), `Helm ${major} sees the same charts`);
      const pulled = join(dir, `pull-${major}`);
      await mkdir(pulled, { recursive: true });
      await helm.run(['pull', 'synth/demo-app', '--version', '1.0.0+build.7', '-d', pulled]);
    }
  });
});
