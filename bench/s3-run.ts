import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startRgw } from '../test/support/rgw.ts';
import { startS3FaultProxy } from '../test/support/s3-fault-proxy.ts';
import { writeSeededFile } from '../test/support/seeded-bytes.ts';
import { startStaticServer } from '../test/support/static-server.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';
import { type BallastUnderTest, startBallastUnderTest } from './ballast-under-test.ts';
import { writeBenchRepo } from './bench-repo.ts';
import { type LoadShape, measure } from './measure.ts';
import { readProcessMemory } from './proc-stats.ts';
import { runWrk } from './wrk.ts';

// `npm run bench:s3`: the same repository served by Ballast on the fs store, on an S3 bucket
// (Ceph RGW on loopback), and on the bucket with a local disk cache. A counting proxy in
// front of RGW gives the S3 requests each client request cost. About 2 minutes.

const shape: LoadShape = {
  durationSec: Number(process.env.BENCH_SECONDS ?? 4),
  warmupSec: 2,
  connections: 16,
  threads: 1,
  // As `npm run bench` loads the index: compressed (the store is not on that path).
  headers: { 'accept-encoding': 'gzip' },
};
const fileBytes = 8 * 1024 * 1024; // past the in-memory cache's 4 MiB item limit

const log = (message: string) => process.stderr.write(`${message}\n`);

async function main() {
  const dir = await tempDir('bench-s3');
  const rgw = await startRgw();
  const proxy = await startS3FaultProxy({
    target: rgw.endpoint,
    seed: 1,
    rate: 0,
    maxFaults: 0,
    stallMs: 0,
  });
  const servers: BallastUnderTest[] = [];
  try {
    await mkdir(join(dir, 'repo'));
    const repo = await writeBenchRepo(join(dir, 'repo'), {
      versions: 10_000,
      charts: 100,
      chartBytes: 60 * 1024,
    });
    const fileDigest = await writeSeededFile(join(repo.dir, 'big.bin'), 'bench', fileBytes);
    const upstream = await startStaticServer({ root: repo.dir });
    const s3 = { bucket: rgw.bucket, endpoint: proxy.url, forcePathStyle: true };
    const variants = {
      fs: undefined,
      s3: { s3 },
      's3 + disk cache': { s3: { ...s3, cache: { dir: join(dir, 'cache'), maxSize: '1GiB' } } },
    };
    const started: Record<string, BallastUnderTest> = {};
    for (const [name, storage] of Object.entries(variants)) {
      const home = join(dir, name.replace(/\W+/g, '-'));
      await mkdir(home, { recursive: true });
      const server = await startBallastUnderTest({
        upstreamUrl: upstream.url,
        dir: home,
        ...(storage ? { storage, env: rgw.env } : {}),
        files: [{ name: 'bench', upstreams: [upstream.url], checksum: 'none' }],
      });
      servers.push(server);
      started[name] = server;
    }
    const paths = {
      index: '/bench/index.yaml',
      chart: `/bench/charts/${repo.chartFile}`,
      'file 8 MiB': '/files/bench/big.bin',
    };
    // Warm: every server has fetched everything once (the bucket is filled by the first).
    for (const server of servers) {
      for (const path of Object.values(paths)) {
        const response = await fetch(`${server.url}${path}`, { headers: shape.headers });
        const body = Buffer.from(await response.arrayBuffer());
        if (response.status !== 200) throw new Error(`${path}: ${response.status}`);
        if (path === paths['file 8 MiB'] && sha256(body) !== fileDigest)
          throw new Error('the file came back wrong');
      }
    }
    const rows = [];
    for (const [caseName, path] of Object.entries(paths)) {
      for (const [name, server] of Object.entries(started)) {
        const url = `${server.url}${path}`;
        // A few large downloads at a time, as CI jobs fetching a binary would.
        const load = { ...shape, ...(path === paths['file 8 MiB'] ? { connections: 2 } : {}) };
        // Warmed here, so the S3 requests counted are those of the measured run only.
        await runWrk({ ...load, url, durationSec: shape.warmupSec });
        const before = proxy.counts.passed;
        const result = await measure(
          { server: name, url, pids: () => [server.pid] },
          { ...load, warmupSec: 0 },
        );
        const s3Requests = proxy.counts.passed - before;
        const clientRequests = result.load.requests;
        rows.push({
          case: caseName,
          store: name,
          requestsPerSec: Math.round(result.load.requestsPerSec),
          p99Ms: result.load.latencyMs.p99,
          s3RequestsPerClientRequest: name === 'fs' ? 0 : round(s3Requests / clientRequests),
          serverCpuMicrosPerRequest: Math.round(result.serverCpuMicrosPerRequest),
        });
        log(`${caseName} ${name}: ${Math.round(result.load.requestsPerSec)} req/s`);
      }
    }
    const memory = Object.fromEntries(
      Object.entries(started).map(([name, server]) => {
        const { rssBytes, peakRssBytes } = readProcessMemory(server.pid);
        return [name, { rssMiB: mib(rssBytes), peakRssMiB: mib(peakRssBytes) }];
      }),
    );
    console.table(rows);
    console.table(memory);
    const results = join(import.meta.dirname, 'results');
    await mkdir(results, { recursive: true });
    await writeFile(
      join(results, 's3-latest.json'),
      JSON.stringify({ shape, fileBytes, rows, memory }, null, 2),
    );
    await upstream.stop();
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await proxy.stop();
    await rgw.stop();
    await removeDir(dir);
  }
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const round = (value: number) => Math.round(value * 1000) / 1000;
const mib = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;

await main();
