import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo } from './support/classic-repo.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { eventually, httpRequest, metricValue } from './support/http.ts';
import { startStaticServer } from './support/static-server.ts';
import { tempDir } from './support/temp-dir.ts';

interface Index {
  entries: Record<string, { version: string; digest?: string }[]>;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** An upstream whose index lists demo-app 1.0.0 with `digest: ""`, as some repositories do. */
async function digestlessUpstream(dir: string) {
  const repo = await buildClassicRepo(dir, {
    charts: [{ chart: 'demo-app', versions: ['1.0.0', '1.1.0'] }],
  });
  const index = yaml.load(await readFile(repo.indexPath, 'utf8')) as Index;
  for (const entry of index.entries['demo-app'] ?? [])
    if (entry.version === '1.0.0') entry.digest = '';
  await writeFile(repo.indexPath, yaml.dump(index));
  return repo;
}

async function servedIndex(url: string): Promise<Index> {
  return JSON.parse((await httpRequest(`${url}/pinned/index.yaml`)).body.toString()) as Index;
}

test('unverified: pin serves a digest-less entry, pins its first download, refuses other bytes later', async (t) => {
  const dir = await tempDir('unverified-pin', t);
  const upstreamRepo = await digestlessUpstream(join(dir, 'upstream'));
  const original = await readFile(join(upstreamRepo.dir, 'demo-app-1.0.0.tgz'));
  await using upstream = await startStaticServer({ root: upstreamRepo.dir });
  const dataDir = join(dir, 'data');
  const config = { repos: [{ name: 'pinned', upstreams: [{ url: upstream.url }] }] };
  {
    await using ballast = await startBallastProcess(config, { dataDir });
    const before = await servedIndex(ballast.url);
    assert.equal(before.entries['demo-app']?.find((e) => e.version === '1.0.0')?.digest, undefined);
    for (const major of helmMajors) {
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'pinned', `${ballast.url}/pinned`]);
      const dest = await tempDir(`pin-pull-${major}`, t);
      await helm.run(['pull', 'pinned/demo-app', '--version', '1.0.0', '-d', dest]);
      assert.equal(sha256(await readFile(join(dest, 'demo-app-1.0.0.tgz'))), sha256(original));
    }
    // The pin reaches the served index once it is rebuilt in the background.
    await eventually(async () => {
      const served = await servedIndex(ballast.url);
      const pinned = served.entries['demo-app']?.find((e) => e.version === '1.0.0');
      assert.equal(pinned?.digest, sha256(original));
    }, 20_000);
    assert.equal(
      await metricValue(ballast.url, 'ballast_index_entries_pinned', { repo: 'pinned' }),
      1,
    );
    assert.ok(
      ballast.logs().some((l) => l.event === 'chart:pinned' && l.file === 'demo-app-1.0.0.tgz'),
    );
  }

  // The upstream now serves other bytes under the same name, and the stored copy is gone.
  await rm(join(dataDir, 'blobs'), { recursive: true, force: true });
  await copyFile(
    join(upstreamRepo.dir, 'demo-app-1.1.0.tgz'),
    join(upstreamRepo.dir, 'demo-app-1.0.0.tgz'),
  );
  await using ballast = await startBallastProcess(config, { dataDir });
  const served = await servedIndex(ballast.url);
  assert.equal(
    served.entries['demo-app']?.find((e) => e.version === '1.0.0')?.digest,
    sha256(original),
    'the pin survives a restart',
  );
  const refused = await httpRequest(`${ballast.url}/pinned/charts/demo-app-1.0.0.tgz`);
  assert.equal(refused.status, 502);
  assert.match(refused.body.toString(), /BALLAST_DIGEST_MISMATCH/);
  await using helm = await createHelm(4);
  await helm.run(['repo', 'add', 'pinned', `${ballast.url}/pinned`]);
  await assert.rejects(
    helm.run([
      'pull',
      'pinned/demo-app',
      '--version',
      '1.0.0',
      '-d',
      await tempDir('pin-refused', t),
    ]),
  );
});

test('unverified: skip leaves digest-less entries out, as before', async (t) => {
  const dir = await tempDir('unverified-skip', t);
  const upstreamRepo = await digestlessUpstream(join(dir, 'upstream'));
  await using upstream = await startStaticServer({ root: upstreamRepo.dir });
  await using ballast = await startBallastProcess({
    repos: [{ name: 'pinned', upstreams: [{ url: upstream.url }], unverified: 'skip' }],
  });
  const served = await servedIndex(ballast.url);
  assert.deepEqual(
    served.entries['demo-app']?.map((e) => e.version),
    ['1.1.0'],
  );
  assert.ok(
    ballast.logs().some((l) => l.event === 'index:entry-skipped' && l.reason === 'no digest'),
  );
});
