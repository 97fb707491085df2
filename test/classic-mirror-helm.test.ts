import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { createHelm, type HelmClient, helmMajors } from './support/helm.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

const versions = ['0.1.0', '0.2.0', '1.0.0'];

/** Every Helm command of the classic workflow, through Ballast, checked against the upstream. */
async function helmWorkflow(
  helm: HelmClient,
  repoUrl: string,
  upstream: ClassicRepo,
  workDir: string,
) {
  await helm.run(['repo', 'add', 'demo', repoUrl]);
  await helm.run(['repo', 'update']);
  const search = (await helm.run(['search', 'repo', 'demo/', '--versions', '-o', 'json'])).stdout;
  const found = (JSON.parse(search) as { name: string; version: string }[])
    .map((r) => `${r.name}@${r.version}`)
    .sort();
  const expected = upstream.charts.map((c) => `demo/${c.name}@${c.version}`).sort();
  assert.deepEqual(found, expected, `Helm ${helm.major} sees every upstream version`);

  const dest = await mkdtemp(join(workDir, `pull-helm${helm.major}-`));
  await helm.run(['pull', 'demo/demo-app', '--version', '1.0.0', '-d', dest]);
  const pulled = await readFile(join(dest, 'demo-app-1.0.0.tgz'));
  const upstreamDigest = upstream.charts.find(
    (c) => c.name === 'demo-app' && c.version === '1.0.0',
  )?.digest;
  assert.equal(createHash('sha256').update(pulled).digest('hex'), upstreamDigest);

  const rendered = (await helm.run(['template', 'web', join(dest, 'demo-app-1.0.0.tgz')])).stdout;
  assert.match(rendered, /kind: Deployment/);
  assert.match(rendered, /name: web-demo-app/);
}

describe('classic mirror with real Helm clients', () => {
  let workDir: string;
  let upstream: ClassicRepo;
  let server: StaticServer;
  let ballast: BallastProcess;

  before(async () => {
    workDir = await mkdtemp(join(tmpdir(), 'ballast-helm-e2e-'));
    upstream = await buildClassicRepo(join(workDir, 'upstream'), {
      charts: [
        { chart: 'demo-app', versions },
        { chart: 'demo-config', versions: ['2.0.0'] },
      ],
    });
    server = await startStaticServer({ root: upstream.dir });
    ballast = await startBallastProcess({
      repos: [{ name: 'demo', upstreams: [{ url: server.url }], refresh: '1s' }],
    });
  });

  after(async () => {
    await ballast?.stop();
    await server?.stop();
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: repo add, update, search, pull and template through Ballast`, async () => {
      await using helm = await createHelm(major);
      await helmWorkflow(helm, `${ballast.url}/demo`, upstream, workDir);
    });
  }

  test('charts come from the upstream once, then from the cache', () => {
    const pulls = server.requests.filter((r) => r.path === '/demo-app-1.0.0.tgz');
    assert.equal(pulls.length, 1);
  });

  test('with the upstream stopped after warm-up, every Helm command still works', async () => {
    await server.stop();
    for (const major of helmMajors) {
      await using helm = await createHelm(major);
      await helmWorkflow(helm, `${ballast.url}/demo`, upstream, workDir);
    }
  });

  test('after a restart with the upstream gone, the stored index and charts are served', async () => {
    await ballast.stop();
    ballast = await startBallastProcess(
      { repos: [{ name: 'demo', upstreams: [{ url: server.url }] }] },
      { dataDir: ballast.dataDir },
    );
    for (const major of helmMajors) {
      await using helm = await createHelm(major);
      await helmWorkflow(helm, `${ballast.url}/demo`, upstream, workDir);
    }
  });
});
