import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  GetObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3';
import yaml from 'js-yaml';
import { request } from 'undici';
import { cleanUpS3 } from '../src/store/s3/s3-cleanup.ts';
import type { BallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { listenOnLoopback } from './support/loopback-server.ts';
import { type Rgw, startRgw, startS3Replica } from './support/rgw.ts';
import { writeSeededFile } from './support/seeded-bytes.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// Replicas share nothing but one bucket on a real Ceph RGW. Each Ballast process gets an
// empty disk; the upstream is stopped and replicas are killed, and the others keep serving.

const bigName = 'big-v1.0.0-linux-amd64.tar.gz';
const bigSize = 200 * 1024 * 1024;

/** A classic upstream the test can switch off (connections reset) or answer a given index. */
async function startUpstream(root: string) {
  const state = {
    down: false,
    index: undefined as (() => string) | undefined,
    indexDelayMs: 0,
    indexGets: 0,
  };
  const server: Server = createServer(async (req, res) => {
    if (state.down) return req.socket.resetAndDestroy();
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    if (path === '/index.yaml') {
      state.indexGets += 1;
      await sleep(state.indexDelayMs);
    }
    if (path === '/index.yaml' && state.index) return res.end(state.index());
    const file = join(root, path);
    const info = await stat(file).catch(() => undefined);
    if (!file.startsWith(root) || !info?.isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': info.size });
    createReadStream(file).pipe(res);
  });
  return { ...(await listenOnLoopback(server)), state };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function get(url: string) {
  const response = await request(url);
  const body = Buffer.from(await response.body.arrayBuffer());
  return { status: response.statusCode, body };
}

/** Chart versions an index lists, as `name@version`. */
function versionsOf(indexBody: Buffer): string[] {
  const index = yaml.load(indexBody.toString('utf8')) as {
    entries: Record<string, { version: string }[]>;
  };
  return Object.entries(index.entries)
    .flatMap(([name, list]) => list.map((v) => `${name}@${v.version}`))
    .sort();
}

async function until<T>(what: string, check: () => Promise<T | undefined>, ms = 20_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what}: not within ${ms} ms`);
    await sleep(200);
  }
}

describe('replicas on one S3 bucket (Ceph RGW)', () => {
  let rgw: Rgw;
  let work: string;
  let repo: ClassicRepo;
  let upstream: Awaited<ReturnType<typeof startUpstream>>;
  /** The second upstream of `pair`, whose first is `upstream`: another chart, more versions. */
  let backup: Awaited<ReturnType<typeof startUpstream>>;
  let bigDigest: string;
  const replicas: BallastProcess[] = [];

  const startReplica = async () => {
    const replica = await startS3Replica(rgw, join(work, `data-${replicas.length}`), {
      repos: [
        { name: 'demo', upstreams: [{ url: upstream.url }], refresh: '1s' },
        { name: 'pair', upstreams: [{ url: upstream.url }, { url: backup.url }], refresh: '1s' },
      ],
      files: [{ name: 'big', upstreams: [upstream.url], checksum: 'sidecar' }],
      // A breaker that stays shut keeps the refresh lease with one replica while its upstream
      // fails (an open one stops the holder asking, and the lease moves on after `refresh`).
      resilience: {
        deadline: '10s',
        retry: { maxAttempts: 2 },
        breaker: { failureThreshold: 1000 },
      },
    });
    replicas.push(replica);
    return replica;
  };
  const killHard = (replica: BallastProcess) => process.kill(-replica.process.pid, 'SIGKILL');

  before(async () => {
    rgw = await startRgw();
    work = await tempDir('replicas');
    repo = await buildClassicRepo(join(work, 'upstream'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0'] }],
    });
    bigDigest = await writeSeededFile(join(repo.dir, bigName), 'replicas', bigSize);
    await writeFile(join(repo.dir, `${bigName}.sha256`), `${bigDigest}  ${bigName}\n`);
    upstream = await startUpstream(repo.dir);
    const backupRepo = await buildClassicRepo(join(work, 'backup'), {
      charts: [{ chart: 'demo-config', versions: ['1.0.0', '1.0.1', '1.0.2', '1.0.3', '1.0.4'] }],
    });
    backup = await startUpstream(backupRepo.dir);
    for (let i = 0; i < 3; i++) await startReplica();
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await upstream?.stop();
    await backup?.stop();
    await rgw?.stop();
    if (work) await removeDir(work);
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: what A fetched, B and C serve with the upstream stopped`, async () => {
      const [a, b, c] = replicas as [BallastProcess, BallastProcess, BallastProcess];
      const chart = repo.charts.find((x) => x.version === '1.0.0');
      upstream.state.down = false;
      await using helmA = await createHelm(major);
      await helmA.run(['repo', 'add', 'demo', `${a.url}/demo`]);
      await helmA.run(['pull', 'demo/demo-app', '--version', '1.0.0', '-d', helmA.home]);
      upstream.state.down = true;
      try {
        for (const replica of [b, c]) {
          await using helm = await createHelm(major);
          await helm.run(['repo', 'add', 'demo', `${replica.url}/demo`]);
          await helm.run(['pull', 'demo/demo-app', '--version', '1.0.0', '-d', helm.home]);
          const pulled = await readFile(join(helm.home, 'demo-app-1.0.0.tgz'));
          assert.equal(sha256(pulled), chart?.digest);
        }
      } finally {
        upstream.state.down = false;
      }
      for (const replica of replicas) assert.ok(!existsSync(replica.dataDir), 'no data dir');
    });
  }

  test('an index refreshed by one replica is served by the others', async () => {
    const [a, b, c] = replicas as [BallastProcess, BallastProcess, BallastProcess];
    repo = await buildClassicRepo(repo.dir, {
      charts: [{ chart: 'demo-app', versions: ['1.1.0'] }],
    });
    await until('A serves 1.1.0', async () => {
      const { body } = await get(`${a.url}/demo/index.yaml`);
      return versionsOf(body).includes('demo-app@1.1.0') || undefined;
    });
    upstream.state.down = true;
    try {
      for (const replica of [b, c]) {
        await until('the others pick the new generation up from the bucket', async () => {
          const { body } = await get(`${replica.url}/demo/index.yaml`);
          return versionsOf(body).includes('demo-app@1.1.0') || undefined;
        });
      }
    } finally {
      upstream.state.down = false;
    }
  });

  test('upstream stopped: replicas without the lease say the index is stale, as its holder does', async () => {
    const serving = replicas.slice(0, 3);
    const answers = () =>
      Promise.all(
        serving.map(async (replica) => {
          const response = await request(`${replica.url}/demo/index.yaml`);
          await response.body.dump();
          return {
            stale: response.headers['ballast-stale'],
            age: Number(response.headers['ballast-index-age']),
          };
        }),
      );
    await until('a replica holds the refresh lease', async () => {
      await answers();
      return leaseHolder();
    });
    upstream.state.down = true;
    try {
      // Only the lease holder asks the upstream; the others can say it fails only if it tells
      // them (a replica that asked nobody used to count its read of the bucket as a check).
      await until('every replica sends the same Ballast-Stale', async () => {
        const now = await answers();
        const codes = new Set(now.map((a) => a.stale));
        return now.every((a) => a.stale) && codes.size === 1 ? true : undefined;
      });
      await sleep(2100);
      for (const { age } of await answers()) assert.ok(age >= 2, `the index ages: ${age} s`);
    } finally {
      upstream.state.down = false;
    }
    await until('no replica sends Ballast-Stale once the upstream is back', async () => {
      const now = await answers();
      return now.every((a) => !a.stale) || undefined;
    });
  });

  test('upstream stopped: every replica fails over to the backup the lease holder serves, and back', async () => {
    const serving = replicas.slice(0, 3);
    /** The chart each replica's `pair` index lists. */
    const charts = () =>
      Promise.all(
        serving.map(async (replica) => {
          const { status, body } = await get(`${replica.url}/pair/index.yaml`);
          if (status !== 200) return `status ${status}`;
          return [...new Set(versionsOf(body).map((v) => v.split('@')[0]))].join();
        }),
      );
    const everyReplica = (chart: string) => async () =>
      (await charts()).every((c) => c === chart) || undefined;
    await until('every replica serves the primary', everyReplica('demo-app'));
    upstream.state.down = true;
    try {
      // Only the lease holder asks the primary; the others learn of its failover from it.
      await until('every replica serves the backup', everyReplica('demo-config'));
    } finally {
      upstream.state.down = false;
    }
    await until('every replica serves the primary again', everyReplica('demo-app'));
  });

  /** Which replica holds (or last held) the refresh lease of the demo upstream; none yet: undefined. */
  async function leaseHolder(): Promise<string | undefined> {
    const client = rgw.client();
    try {
      const list = await client.send(
        new ListObjectsV2Command({ Bucket: rgw.bucket, Prefix: 'docs/leases/repos/demo/' }),
      );
      const key = list.Contents?.[0]?.Key;
      if (!key) return undefined;
      const object = await client.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: key }));
      return (JSON.parse((await object.Body?.transformToString()) ?? '{}') as { holder: string })
        .holder;
    } finally {
      client.destroy();
    }
  }

  test('replicas refreshing at once with different answers never store the refused one', async () => {
    const full = await readFile(repo.indexPath, 'utf8');
    const before = versionsOf(Buffer.from(full));
    const parsed = yaml.load(full) as { entries: Record<string, unknown[]> };
    const shrunk = yaml.dump({
      ...parsed,
      entries: { 'demo-app': (parsed.entries['demo-app'] ?? []).slice(0, 1) },
    });
    // Every other request gets an index that lost most of its versions.
    let turn = 0;
    upstream.state.index = () => (turn++ % 2 === 0 ? shrunk : full);
    try {
      const deadline = Date.now() + 8000;
      while (Date.now() < deadline) {
        // Whichever replica holds the refresh lease asks; the others may take it over.
        await Promise.all(replicas.slice(0, 3).map((r) => get(`${r.url}/demo/index.yaml`)));
        await sleep(400);
      }
    } finally {
      upstream.state.index = undefined;
    }
    assert.ok(turn >= 3, `the upstream was asked (${turn} times)`);
    for (const replica of replicas.slice(0, 3)) {
      const { body } = await get(`${replica.url}/demo/index.yaml`);
      assert.deepEqual(versionsOf(body), before);
    }
    const stored = await storedUpstreamIndex();
    assert.deepEqual(versionsOf(stored), before, 'the bucket never holds the shrunken index');
  });

  /** The stored copy of the upstream's index: a header line, then its bytes. */
  async function storedUpstreamIndex(): Promise<Buffer> {
    const client = rgw.client();
    try {
      const list = await client.send(
        new ListObjectsV2Command({ Bucket: rgw.bucket, Prefix: 'docs/repos/demo/upstreams/' }),
      );
      const key = list.Contents?.[0]?.Key as string;
      const object = await client.send(new GetObjectCommand({ Bucket: rgw.bucket, Key: key }));
      const bytes = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
      return bytes.subarray(bytes.indexOf(0x0a) + 1);
    } finally {
      client.destroy();
    }
  }

  test('kill -9 of a replica storing a 200 MB file: no partial object, B serves it whole', async () => {
    const [a, b] = replicas as [BallastProcess, BallastProcess];
    const client = rgw.client();
    try {
      const download = request(`${a.url}/files/big/${bigName}`).catch(() => undefined);
      await until('A is uploading parts', async () => {
        const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: rgw.bucket }));
        return (uploads.Uploads?.length ?? 0) > 0 || undefined;
      });
      killHard(a);
      await download;
      const blobKey = `blobs/sha256/${bigDigest}`;
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: rgw.bucket, Prefix: 'blobs/' }),
      );
      assert.ok(!listed.Contents?.some((o) => o.Key === blobKey), 'nothing under the digest');
      const response = await request(`${b.url}/files/big/${bigName}`);
      assert.equal(response.statusCode, 200);
      const hash = createHash('sha256');
      for await (const chunk of response.body) hash.update(chunk);
      assert.equal(hash.digest('hex'), bigDigest);
      // What the crash left (an upload never completed) is what the clean-up removes.
      const { aborted } = await cleanUpS3({
        client,
        bucket: rgw.bucket,
        prefix: '',
        staleAfterMs: 0,
      });
      assert.ok(aborted >= 1);
    } finally {
      client.destroy();
    }
  });

  test('B and C keep serving when a replica dies mid index refresh; an empty-disk one serves all', async () => {
    const [, b, c] = replicas as [BallastProcess, BallastProcess, BallastProcess];
    const doomed = await startReplica();
    upstream.state.indexDelayMs = 3000;
    try {
      const asked = upstream.state.indexGets;
      await sleep(1100); // past `refresh`: the next request starts a revalidation
      await get(`${doomed.url}/demo/index.yaml`);
      await until(
        'the refresh is under way',
        async () => upstream.state.indexGets > asked || undefined,
      );
      killHard(doomed);
    } finally {
      upstream.state.indexDelayMs = 0;
    }
    const fresh = await startReplica();
    upstream.state.down = true;
    try {
      for (const replica of [b, c, fresh]) {
        const { status, body } = await get(`${replica.url}/demo/index.yaml`);
        assert.equal(status, 200);
        assert.ok(versionsOf(body).includes('demo-app@1.1.0'));
        const chart = await get(`${replica.url}/demo/charts/demo-app-1.0.0.tgz`);
        assert.equal(sha256(chart.body), repo.charts.find((x) => x.version === '1.0.0')?.digest);
      }
    } finally {
      upstream.state.down = false;
    }
  });
});
