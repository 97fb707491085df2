import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { clockSlackMs } from '../src/maintenance/gc-store.ts';
import { s3ObjectKeys } from '../src/store/s3/s3-store.ts';
import type { Digest } from '../src/store/store.ts';
import { storeKeys } from '../src/store/store-keys.ts';
import { startBallastProcess } from './support/ballast.ts';
import { cliJson, runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { httpRequest } from './support/http.ts';
import { type Rgw, startRgw } from './support/rgw.ts';
import { seededBytes } from './support/seeded-bytes.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// `ballast store verify` and `ballast store gc` through the real CLI on a bucket of a real
// Ceph RGW, filled by `ballast sync`; damage and strays are made directly in the bucket.

interface VerifyJson {
  blobs: number;
  damaged: { digest: string; actual?: string; quarantined: boolean }[];
}
interface GcJson {
  removed: { digest: string }[];
  recent: number;
  referenced: number;
}

const sha256 = (bytes: Uint8Array) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}` as Digest;
const prefix = 'mirror/';
const keys = s3ObjectKeys(prefix);

describe('ballast store verify and gc on an S3 bucket', () => {
  let rgw: Rgw;
  let s3: S3Client;
  let work: string;
  let repo: ClassicRepo;
  let upstream: StaticServer;
  let config: Record<string, unknown>;
  let file: string;
  let orphan: Digest;
  let orphanWrittenAt: number;
  const env = () => rgw.env;

  const exists = (key: string) =>
    s3.send(new HeadObjectCommand({ Bucket: rgw.bucket, Key: key })).then(
      () => true,
      (error: { name?: string }) => (error.name === 'NotFound' ? false : Promise.reject(error)),
    );
  const getObject = async (key: string) => {
    const output = await s3.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: key }));
    return Buffer.from((await output.Body?.transformToByteArray()) ?? []);
  };
  const putObject = (key: string, body: Buffer) =>
    s3.send(new PutObjectCommand({ Bucket: rgw.bucket, Key: key, Body: body }));
  /** A blob nothing refers to, put straight into the bucket under the store's layout. */
  const putStrayBlob = async (seed: string) => {
    const bytes = seededBytes(seed, 10_000);
    await putObject(keys.blob(sha256(bytes)), bytes);
    return sha256(bytes);
  };
  const cli = (args: string[], options: { onSpawn?: () => void } = {}) =>
    runBallastCli(['store', ...args, '--config', file], { env: env(), ...options });

  before(async () => {
    rgw = await startRgw();
    s3 = rgw.client();
    work = await tempDir('store-maintenance-s3');
    repo = await buildClassicRepo(join(work, 'repo'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '0.2.0'] }],
    });
    upstream = await startStaticServer({ root: repo.dir });
    config = {
      storage: {
        // Never created: the bucket is the store.
        fs: { path: join(work, 'no-data') },
        s3: { bucket: rgw.bucket, endpoint: rgw.endpoint, forcePathStyle: true, prefix },
      },
      repos: [{ name: 'demo', upstreams: [{ url: upstream.url }] }],
    };
    file = await writeBallastConfig(work, 'ballast', config);
    const sync = await runBallastCli(['sync', '--config', file, '--chart', 'demo/demo-app'], {
      env: env(),
    });
    assert.equal(sync.code, 0, sync.stderr);
    for (const chart of repo.charts) assert.ok(await exists(keys.blob(`sha256:${chart.digest}`)));
    // Written now, so that it is older than gc's slack by the time the gc test runs.
    orphan = await putStrayBlob('orphan');
    orphanWrittenAt = Date.now();
  });

  after(async () => {
    await upstream?.stop();
    s3?.destroy();
    await rgw?.stop();
    if (work) await removeDir(work);
  });

  test('verify finds a blob overwritten in the bucket; --quarantine moves it aside and the mirror heals it', async () => {
    const healthy = await cli(['verify', '--json']);
    assert.equal(healthy.code, 0, healthy.stderr);
    assert.equal(cliJson<VerifyJson>(healthy).blobs, repo.charts.length + 1);

    const chart = repo.charts.find((c) => c.version === '0.1.0');
    assert.ok(chart);
    const digest = `sha256:${chart.digest}` as Digest;
    const bytes = await getObject(keys.blob(digest));
    bytes[100] = (bytes[100] ?? 0) ^ 0xff;
    await putObject(keys.blob(digest), bytes);

    const found = await cli(['verify', '--json']);
    assert.equal(found.code, 1, 'damage exits non-zero');
    assert.deepEqual(cliJson<VerifyJson>(found).damaged, [
      { digest, size: bytes.length, actual: sha256(bytes), quarantined: false },
    ]);
    assert.deepEqual(await getObject(keys.blob(digest)), bytes, 'without --quarantine, untouched');
    const text = await cli(['verify']);
    assert.equal(text.code, 1);
    assert.match(text.stdout, new RegExp(`DAMAGED ${digest}`));

    const quarantine = await cli(['verify', '--quarantine', '--json']);
    assert.equal(quarantine.code, 1);
    assert.equal(cliJson<VerifyJson>(quarantine).damaged[0]?.quarantined, true);
    assert.equal(await exists(keys.blob(digest)), false, 'the damaged blob is gone');
    assert.deepEqual(await getObject(keys.document(storeKeys.quarantine(digest))), bytes);
    const clean = await cli(['verify', '--json']);
    assert.equal(clean.code, 0, clean.stdout);

    await using ballast = await startBallastProcess(config, {
      dataDir: join(work, 'no-data'),
      env: env(),
    });
    const served = await httpRequest(`${ballast.url}/demo/charts/demo-app-0.1.0.tgz`);
    assert.equal(served.status, 200);
    assert.equal(sha256(served.body), digest, 'fetched again from the upstream');
    assert.ok(await exists(keys.blob(digest)), 'and stored again');
  });

  test('gc removes an old unreferenced blob, keeps every referenced one and those written during the run', async () => {
    // S3 cannot back-date an object: wait until the stray is older than grace + slack.
    const grace = 1000;
    await sleep(Math.max(0, orphanWrittenAt + grace + clockSlackMs + 2000 - Date.now()));
    const recent = await putStrayBlob('recent');

    const dry = await cli(['gc', '--grace', '1s', '--dry-run', '--json']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.deepEqual(
      cliJson<GcJson>(dry).removed.map((b) => b.digest),
      [orphan],
    );
    assert.ok(await exists(keys.blob(orphan)), '--dry-run removes nothing');

    let during: Promise<Digest> | undefined;
    const run = await cli(['gc', '--grace', '1s', '--json'], {
      onSpawn: () => (during ??= putStrayBlob('during')),
    });
    assert.equal(run.code, 0, run.stderr);
    const report = cliJson<GcJson>(run);
    assert.deepEqual(
      report.removed.map((b) => b.digest),
      [orphan],
    );
    assert.equal(report.referenced, repo.charts.length);
    assert.ok(report.recent >= 1, 'the blob written just before the run is recent');
    assert.equal(await exists(keys.blob(orphan)), false);
    assert.ok(during);
    for (const digest of [...repo.charts.map((c) => `sha256:${c.digest}`), recent, await during])
      assert.ok(await exists(keys.blob(digest as Digest)), `${digest} kept`);

    // What was kept still serves with the upstream gone.
    await upstream.stop();
    try {
      await using ballast = await startBallastProcess(config, {
        dataDir: join(work, 'no-data'),
        env: env(),
      });
      for (const chart of repo.charts) {
        const served = await httpRequest(
          `${ballast.url}/demo/charts/${chart.name}-${chart.version}.tgz`,
        );
        assert.equal(sha256(served.body), `sha256:${chart.digest}`);
      }
    } finally {
      upstream = await startStaticServer({ root: repo.dir });
    }
  });
});
