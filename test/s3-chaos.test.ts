import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { listObjects } from '../src/store/s3/s3-cleanup.ts';
import type { BallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { type Rgw, startRgw, startS3Replica } from './support/rgw.ts';
import { type S3FaultProxy, startS3FaultProxy } from './support/s3-fault-proxy.ts';
import { writeSeededFile } from './support/seeded-bytes.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// Random faults between Ballast and S3 (resets, 503 SlowDown, 500, stalls, bodies cut off),
// bounded in number and time: no wrong byte is ever served, every stored object hashes to
// its key, and clients of content already in the bucket see no error at all.

const fileName = 'tool-v1.0.0.tar.gz';
const fileSize = 6 * 1024 * 1024; // over the in-memory cache's item limit: every read is a GET
const chaosMs = 12_000;

const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function get(url: string) {
  const response = await request(url);
  return { status: response.statusCode, body: Buffer.from(await response.body.arrayBuffer()) };
}

describe('chaos between Ballast and S3', () => {
  let rgw: Rgw;
  let proxy: S3FaultProxy;
  let work: string;
  let repo: ClassicRepo;
  let upstream: StaticServer;
  let fileDigest: string;
  const replicas: BallastProcess[] = [];

  const startReplica = async () => {
    const dataDir = join(work, `data-${replicas.length}`);
    const replica = await startS3Replica(
      rgw,
      dataDir,
      {
        // A stalled S3 request is given up after 1 s of silence and retried.
        timeouts: { connect: '1s', headers: '2s', body: '1s' },
        resilience: { deadline: '20s', retry: { maxAttempts: 8, maxDelay: '500ms' } },
        repos: [{ name: 'demo', upstreams: [{ url: upstream.url }], refresh: '1h' }],
        files: [{ name: 'tools', upstreams: [upstream.url], checksum: 'sidecar' }],
      },
      proxy.url,
    );
    replicas.push(replica);
    return replica;
  };

  before(async () => {
    rgw = await startRgw();
    proxy = await startS3FaultProxy({
      target: rgw.endpoint,
      seed: 13,
      rate: 0.3,
      maxFaults: 300,
      stallMs: 1500,
    });
    work = await tempDir('s3-chaos');
    repo = await buildClassicRepo(join(work, 'upstream'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0'] }],
    });
    fileDigest = await writeSeededFile(join(repo.dir, fileName), 'chaos', fileSize);
    await writeFile(join(repo.dir, `${fileName}.sha256`), `${fileDigest}  ${fileName}\n`);
    upstream = await startStaticServer({ root: repo.dir });
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await upstream?.stop();
    await proxy?.stop();
    await rgw?.stop();
    if (work) await removeDir(work);
  });

  test('clients of stored content see no error and no wrong byte', async (t) => {
    // Warm up through one replica, with S3 behaving.
    const warm = await startReplica();
    assert.equal((await get(`${warm.url}/demo/index.yaml`)).status, 200);
    for (const chart of repo.charts) {
      const { body } = await get(`${warm.url}/demo/charts/${chart.name}-${chart.version}.tgz`);
      assert.equal(sha256(body), chart.digest);
    }
    assert.equal(sha256((await get(`${warm.url}/files/tools/${fileName}`)).body), fileDigest);
    await upstream.stop(); // from now on, only the bucket has the content

    proxy.chaos = true;
    const problems: string[] = [];
    let served = 0;
    try {
      // A replica that starts under chaos loads its indexes from the bucket through it.
      const cold = await startReplica();
      const deadline = Date.now() + chaosMs;
      const client = async (replica: BallastProcess) => {
        while (Date.now() < deadline) {
          const file = await get(`${replica.url}/files/tools/${fileName}`);
          if (file.status !== 200 || sha256(file.body) !== fileDigest)
            problems.push(`file: ${file.status} ${file.body.length} bytes`);
          const range = await request(`${replica.url}/files/tools/${fileName}`, {
            headers: { range: 'bytes=1000000-1999999' },
          });
          const part = Buffer.from(await range.body.arrayBuffer());
          if (range.statusCode !== 206 || part.length !== 1_000_000)
            problems.push(`range: ${range.statusCode} ${part.length} bytes`);
          const index = await get(`${replica.url}/demo/index.yaml`);
          if (index.status !== 200) problems.push(`index: ${index.status}`);
          for (const chart of repo.charts) {
            const { status, body } = await get(
              `${replica.url}/demo/charts/${chart.name}-${chart.version}.tgz`,
            );
            if (status !== 200 || sha256(body) !== chart.digest)
              problems.push(`${chart.name}-${chart.version}: ${status}`);
          }
          served += 6;
        }
      };
      await Promise.all([client(warm), client(cold), client(cold)]);
    } finally {
      proxy.chaos = false;
    }
    t.diagnostic(`${served} responses; S3 requests: ${JSON.stringify(proxy.counts)}`);
    assert.deepEqual(problems, [], `${served} responses under ${JSON.stringify(proxy.counts)}`);
    const { passed: _, ...faults } = proxy.counts;
    const injected = Object.values(faults).reduce((a, b) => a + b, 0);
    assert.ok(injected >= 20, `faults were injected: ${JSON.stringify(proxy.counts)}`);
    for (const [kind, count] of Object.entries(faults)) assert.ok(count > 0, `${kind} happened`);
  });

  test('every object in the bucket hashes to its key', async () => {
    const client = rgw.client();
    try {
      let checked = 0;
      for await (const object of listObjects(client, rgw.bucket, 'blobs/sha256/', 1000)) {
        const got = await client.send(
          new GetObjectCommand({ Bucket: rgw.bucket, Key: object.key }),
        );
        const bytes = (await got.Body?.transformToByteArray()) ?? new Uint8Array();
        assert.equal(sha256(bytes), object.key.slice('blobs/sha256/'.length), object.key);
        checked += 1;
      }
      assert.ok(checked >= 4, `${checked} blobs checked`);
    } finally {
      client.destroy();
    }
  });
});
