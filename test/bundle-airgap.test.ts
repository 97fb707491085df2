import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startBallastProcess } from './support/ballast.ts';
import { cliJson, runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { httpRequest } from './support/http.ts';
import { auditStoreBlobs, helmPull, helmRepoUpdate } from './support/resilience-e2e.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// Air gap: a connected Ballast syncs a repository and a release binary, exports them, and a
// second Ballast whose upstreams are gone serves both from the imported bundle alone.

const binary = 'tool-v1.2.3-linux-amd64.tar.gz';

describe('sync → export → import into a Ballast with no upstream', () => {
  let work: string;
  let repo: ClassicRepo;
  let charts: StaticServer;
  let downloads: StaticServer;
  let binaryBytes: Buffer;
  let configA: string;
  let configB: string;
  let dataB: string;
  const bundle = () => join(work, 'bundle.tar');

  before(async () => {
    work = await tempDir('airgap');
    repo = await buildClassicRepo(join(work, 'repo'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '1.0.0'] },
        { chart: 'demo-config', versions: ['1.0.0'] },
      ],
    });
    await mkdir(join(work, 'downloads'));
    binaryBytes = randomBytes(300_000);
    await writeFile(join(work, 'downloads', binary), binaryBytes);
    const hex = createHash('sha256').update(binaryBytes).digest('hex');
    await writeFile(join(work, 'downloads', `${binary}.sha256sum`), `${hex}  ${binary}\n`);
    charts = await startStaticServer({ root: repo.dir });
    downloads = await startStaticServer({ root: join(work, 'downloads') });
    const mirrors = {
      repos: [{ name: 'demo', upstreams: [{ url: charts.url }] }],
      files: [{ name: 'tools', upstreams: [downloads.url], checksum: 'sidecar' }],
    };
    configA = await writeBallastConfig(work, 'a', {
      storage: { fs: { path: join(work, 'data-a') } },
      ...mirrors,
    });
    dataB = join(work, 'data-b');
    configB = await writeBallastConfig(work, 'b', { storage: { fs: { path: dataB } }, ...mirrors });
  });

  after(async () => {
    await charts?.stop();
    await downloads?.stop();
    if (work) await removeDir(work);
  });

  test('sync fetches every chart of the repository and the listed file, then has nothing to do', async () => {
    const args = ['sync', '--config', configA, '--repo', 'demo', '--file', `tools/${binary}`];
    const first = await runBallastCli([...args, '--json']);
    assert.equal(first.code, 0, first.stderr);
    const result = cliJson<{ ok: boolean; counts: Record<string, number> }>(first);
    assert.equal(result.ok, true);
    assert.equal(result.counts.fetched, 1 + repo.charts.length + 1, JSON.stringify(result));
    const again = cliJson<{ counts: Record<string, number> }>(
      await runBallastCli([...args, '--json']),
    );
    assert.equal(again.counts.cached, repo.charts.length + 1, 'nothing is fetched twice');
  });

  test('export writes a bundle; import loads it, and a second import changes nothing', async () => {
    const exported = await runBallastCli([
      'export',
      '--config',
      configA,
      '--out',
      bundle(),
      '--json',
    ]);
    assert.equal(exported.code, 0, exported.stderr);
    const summary = cliJson<{ entries: number; skipped: unknown[] }>(exported);
    assert.deepEqual(summary.skipped, []);
    assert.ok(summary.entries >= repo.charts.length + 2);

    // From here on the upstreams are gone: nothing answers on their ports.
    await charts.stop();
    await downloads.stop();

    const imported = await runBallastCli(['import', '--config', configB, bundle(), '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    const first = cliJson<{ blobsAdded: number; documentsWritten: number }>(imported);
    assert.ok(first.blobsAdded >= repo.charts.length + 2, JSON.stringify(first));
    const twice = cliJson<{ blobsAdded: number; documentsWritten: number; warnings: string[] }>(
      await runBallastCli(['import', '--config', configB, bundle(), '--json']),
    );
    assert.equal(twice.blobsAdded, 0);
    assert.equal(twice.documentsWritten, 0);
    assert.deepEqual(twice.warnings, []);
    const audit = await auditStoreBlobs(dataB);
    assert.deepEqual(audit.bad, []);
  });

  test('the second Ballast serves Helm 3 and 4 and the file from the import alone', async () => {
    const b = await startBallastProcess(
      {
        repos: [{ name: 'demo', upstreams: [{ url: charts.url }] }],
        files: [{ name: 'tools', upstreams: [downloads.url], checksum: 'sidecar' }],
        resilience: { deadline: '3s' },
      },
      { dataDir: dataB },
    );
    try {
      for (const major of helmMajors) {
        await using helm = await createHelm(major);
        await helm.run(['repo', 'add', 'demo', `${b.url}/demo`]);
        await helmRepoUpdate(helm, 'demo');
        const dest = await mkdtemp(join(work, `helm${major}-`));
        for (const chart of repo.charts) {
          assert.equal(
            await helmPull(helm, `demo/${chart.name}`, chart.version, dest),
            chart.digest,
          );
        }
        const { stdout } = await helm.run([
          'template',
          'r1',
          'demo/demo-app',
          '--version',
          '1.0.0',
        ]);
        assert.match(stdout, /kind: Deployment/);
        // Every repository is served over OCI as well, from the same imported charts.
        const ociDest = await mkdtemp(join(work, `oci${major}-`));
        const host = b.url.replace(/^http:\/\//, '');
        await helm.run([
          ...['pull', `oci://${host}/demo/demo-app`, '--version', '1.0.0'],
          ...['--plain-http', '-d', ociDest],
        ]);
        const pulled = await readFile(join(ociDest, 'demo-app-1.0.0.tgz'));
        assert.equal(
          createHash('sha256').update(pulled).digest('hex'),
          repo.charts.find((c) => c.name === 'demo-app' && c.version === '1.0.0')?.digest,
        );
      }
      const file = await httpRequest(`${b.url}/files/tools/${binary}`);
      assert.equal(file.status, 200);
      assert.ok(file.body.equals(binaryBytes), 'the same bytes as the upstream served');
      const sidecar = await httpRequest(`${b.url}/files/tools/${binary}.sha256sum`);
      assert.equal(sidecar.status, 200);
      assert.match(
        sidecar.body.toString(),
        new RegExp(`^[0-9a-f]{64}  ${binary.replace(/\./g, '\\.')}`),
      );
    } finally {
      await b.stop();
    }
  });
});
