import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBallastProcess } from './support/ballast.ts';
import { cliJson, runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { httpRequest } from './support/http.ts';
import { seededBytes } from './support/seeded-bytes.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// `ballast store verify` and `ballast store gc` through the real CLI, on a store filled the way
// users fill it: `ballast sync` from a real Helm repository, a file mirror, an OCI pull.

interface VerifyJson {
  blobs: number;
  damaged: { digest: string; actual?: string; quarantined: boolean }[];
}
interface GcJson {
  dryRun: boolean;
  removed: { digest: string }[];
  recent: number;
  referenced: number;
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const blobFile = (data: string, digest: string) => {
  const hex = digest.slice('sha256:'.length);
  return join(data, 'blobs', 'sha256', hex.slice(0, 2), hex);
};
const dayAgo = () => new Date(Date.now() - 86_400_000);

describe('ballast store verify and gc', () => {
  let work: string;
  let repo: ClassicRepo;
  let upstream: StaticServer;
  let seeded: string;
  let config: Record<string, unknown>;
  let copies = 0;
  const tool = seededBytes('tool', 300_000);
  const referenced: string[] = [];

  before(async () => {
    work = await tempDir('store-maintenance');
    repo = await buildClassicRepo(join(work, 'repo'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '0.2.0'] }],
    });
    await mkdir(join(repo.dir, 'tools'));
    await writeFile(join(repo.dir, 'tools', 'tool-1.0.tar.gz'), tool);
    upstream = await startStaticServer({ root: repo.dir });
    seeded = join(work, 'seeded');
    config = {
      storage: { fs: { path: seeded } },
      repos: [{ name: 'demo', upstreams: [{ url: upstream.url }] }],
      files: [{ name: 'tools', upstreams: [`${upstream.url}/tools`], checksum: 'none' }],
    };
    const file = await writeBallastConfig(work, 'seed', config);
    const sync = await runBallastCli([
      ...['sync', '--config', file, '--chart', 'demo/demo-app'],
      ...['--file', 'tools/tool-1.0.tar.gz'],
    ]);
    assert.equal(sync.code, 0, sync.stderr);
    // An OCI pull makes Ballast build the chart's manifest and store its config blob.
    await using ballast = await startBallastProcess(config, { dataDir: seeded });
    const manifest = await httpRequest(`${ballast.url}/v2/demo/demo-app/manifests/0.1.0`, {
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    assert.equal(manifest.status, 200);
    const { config: configBlob } = JSON.parse(manifest.body.toString()) as {
      config: { digest: string };
    };
    referenced.push(
      ...repo.charts.map((c) => `sha256:${c.digest}`),
      sha256(tool),
      configBlob.digest,
    );
    // Everything stored so far is old: only references keep it.
    for (const digest of referenced) await utimes(blobFile(seeded, digest), dayAgo(), dayAgo());
  });

  after(async () => {
    await upstream?.stop();
    if (work) await removeDir(work);
  });

  /** A copy of the seeded store and a config pointing at it. */
  async function copyStore(extra: Record<string, unknown> = {}) {
    copies += 1;
    const data = join(work, `data-${copies}`);
    await cp(seeded, data, { recursive: true, preserveTimestamps: true });
    const file = await writeBallastConfig(work, `config-${copies}`, {
      ...config,
      storage: { fs: { path: data } },
      ...extra,
    });
    return { data, file };
  }

  async function addBlob(data: string, seed: string, modified: Date): Promise<string> {
    const bytes = seededBytes(seed, 10_000);
    const digest = sha256(bytes);
    await mkdir(dirname(blobFile(data, digest)), { recursive: true });
    await writeFile(blobFile(data, digest), bytes);
    await utimes(blobFile(data, digest), modified, modified);
    return digest;
  }

  test('verify finds a blob damaged on disk; --quarantine moves it aside and the mirror heals it', async () => {
    const { data, file } = await copyStore();
    const healthy = await runBallastCli(['store', 'verify', '--config', file, '--json']);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(cliJson<VerifyJson>(healthy).blobs, referenced.length);

    const chart = repo.charts.find((c) => c.version === '0.1.0');
    assert.ok(chart);
    const damagedFile = blobFile(data, `sha256:${chart.digest}`);
    const bytes = await readFile(damagedFile);
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    await writeFile(damagedFile, bytes);

    const found = await runBallastCli(['store', 'verify', '--config', file, '--json']);
    assert.equal(found.code, 1, 'damage exits non-zero');
    const report = cliJson<VerifyJson>(found);
    assert.deepEqual(report.damaged, [
      {
        digest: `sha256:${chart.digest}`,
        size: bytes.length,
        actual: sha256(bytes),
        quarantined: false,
      },
    ]);
    assert.deepEqual(await readFile(damagedFile), bytes, 'without --quarantine nothing changes');

    const text = await runBallastCli(['store', 'verify', '--config', file]);
    assert.match(text.stdout, new RegExp(`DAMAGED sha256:${chart.digest}`));
    assert.match(text.stdout, /--quarantine/);

    const quarantine = await runBallastCli([
      'store',
      'verify',
      '--config',
      file,
      '--quarantine',
      '--json',
    ]);
    assert.equal(quarantine.code, 1);
    assert.equal(cliJson<VerifyJson>(quarantine).damaged[0]?.quarantined, true);
    await assert.rejects(stat(damagedFile), { code: 'ENOENT' });
    assert.deepEqual(await readFile(join(data, 'docs', 'quarantine', chart.digest)), bytes);
    const after = await runBallastCli(['store', 'verify', '--config', file, '--json']);
    assert.equal(after.code, 0, after.stdout);

    await using ballast = await startBallastProcess(config, { dataDir: data });
    const served = await httpRequest(`${ballast.url}/demo/charts/demo-app-0.1.0.tgz`);
    assert.equal(served.status, 200);
    assert.equal(sha256(served.body), `sha256:${chart.digest}`, 'fetched again from upstream');
  });

  test('gc removes an old unreferenced blob, keeps every referenced one and a recent one', async () => {
    const { data, file } = await copyStore();
    const orphan = await addBlob(data, 'orphan', dayAgo());
    const recent = await addBlob(data, 'recent', new Date());
    const before = await storeSnapshot(data);

    const dry = await runBallastCli(['store', 'gc', '--config', file, '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      cliJson<GcJson>(dry).removed.map((b) => b.digest),
      [orphan],
    );
    assert.deepEqual(await storeSnapshot(data), before, '--dry-run removes nothing');

    const run = await runBallastCli(['store', 'gc', '--config', file, '--json']);
    assert.equal(run.code, 0, run.stderr);
    const report = cliJson<GcJson>(run);
    assert.deepEqual(
      report.removed.map((b) => b.digest),
      [orphan],
    );
    assert.equal(report.referenced, referenced.length);
    assert.equal(report.recent, 1);
    await assert.rejects(stat(blobFile(data, orphan)), { code: 'ENOENT' });
    for (const digest of [...referenced, recent]) await stat(blobFile(data, digest));

    // What was kept still serves, over every protocol, with the upstream gone.
    await upstream.stop();
    try {
      await using ballast = await startBallastProcess(config, { dataDir: data });
      for (const chart of repo.charts) {
        const served = await httpRequest(
          `${ballast.url}/demo/charts/${chart.name}-${chart.version}.tgz`,
        );
        assert.equal(sha256(served.body), `sha256:${chart.digest}`);
      }
      const file = await httpRequest(`${ballast.url}/files/tools/tool-1.0.tar.gz`);
      assert.equal(sha256(file.body), sha256(tool));
      const manifest = await httpRequest(`${ballast.url}/v2/demo/demo-app/manifests/0.1.0`);
      const configDigest = (JSON.parse(manifest.body.toString()) as { config: { digest: string } })
        .config.digest;
      const blob = await httpRequest(`${ballast.url}/v2/demo/demo-app/blobs/${configDigest}`);
      assert.equal(blob.status, 200);
    } finally {
      upstream = await startStaticServer({ root: repo.dir });
    }
  });

  test('gc refuses, removing nothing, when it cannot tell what is in use: unknown or damaged documents, keepRemoved', async () => {
    const unknown = await copyStore();
    await addBlob(unknown.data, 'orphan', dayAgo());
    await mkdir(join(unknown.data, 'docs', 'hosted'), { recursive: true });
    await writeFile(join(unknown.data, 'docs', 'hosted', 'charts'), '{}');
    const before = await storeSnapshot(unknown.data);
    const run = await runBallastCli(['store', 'gc', '--config', unknown.file, '--json']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /BALLAST_STORE_GC_REFUSED: .*hosted\/charts/);
    assert.deepEqual(await storeSnapshot(unknown.data), before);

    const damagedKinds = [
      { what: 'index', dir: 'repos/demo/upstreams' },
      { what: 'file entry', dir: 'files/tools/entries' },
    ];
    for (const { what, dir } of damagedKinds) {
      const damaged = await copyStore();
      const [name] = await readdir(join(damaged.data, 'docs', dir));
      assert.ok(name, `a stored ${what}`);
      await writeFile(join(damaged.data, 'docs', dir, name), 'garbage\n');
      await addBlob(damaged.data, 'orphan', dayAgo());
      const snapshot = await storeSnapshot(damaged.data);
      const refused = await runBallastCli(['store', 'gc', '--config', damaged.file]);
      assert.equal(refused.code, 2, `a damaged ${what}`);
      assert.match(refused.stderr, new RegExp(`BALLAST_STORE_GC_REFUSED: .*cannot read ${dir}/`));
      assert.deepEqual(await storeSnapshot(damaged.data), snapshot);
    }

    const keeping = await copyStore({
      repos: [{ name: 'demo', upstreams: [{ url: upstream.url }], guard: { keepRemoved: true } }],
    });
    const refused = await runBallastCli(['store', 'gc', '--config', keeping.file]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /BALLAST_STORE_GC_REFUSED: .*keepRemoved/);

    const badGrace = await runBallastCli([
      'store',
      'gc',
      '--config',
      keeping.file,
      '--grace',
      'soon',
    ]);
    assert.notEqual(badGrace.code, 0);
    assert.match(badGrace.stderr, /expected a duration/);
  });
});
