import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { startBallastProcess } from './support/ballast.ts';
import {
  type FaultAction,
  type FaultPlan,
  type FaultUpstream,
  startFaultUpstream,
} from './support/fault-upstream.ts';
import { writeRandomChartRepo } from './support/random-chart-repo.ts';
import { auditStoreBlobs, helmStyleGet, percentile, sha256Hex } from './support/resilience-e2e.ts';
import { createSeededRandom, pick } from './support/seeded-random.ts';
import { tempDir } from './support/temp-dir.ts';

// Random faults on every upstream while clients fetch charts and the index concurrently.
// Whatever fails, no client may ever get bytes that do not match the index digest, and the
// store may hold only verified objects. Bounded: at most 400 requests and 45 s of load.

const maxRequests = 400;
const maxLoadMs = 45_000;
/** A request still running when the load stops ends within this: 45 + 12 s < 60 s. */
const requestTimeoutMs = 12_000;
const clients = 4;
const faultRate = 0.35;

/** A plan that faults `faultRate` of requests, each with a random fault; counts what it did. */
function chaosPlan(seed: number, tally: Map<string, number>): FaultPlan {
  const random = createSeededRandom(seed);
  const count = (what: string) => tally.set(what, (tally.get(what) ?? 0) + 1);
  return ({ path }) => {
    if (random() >= faultRate) return undefined;
    const isChart = path.endsWith('.tgz');
    const kinds = ['reset', 'truncate', '5xx', 'etcd', 'delay', ...(isChart ? ['corrupt'] : [])];
    const kind = pick(random, kinds);
    count(kind);
    const actions: Record<string, FaultAction> = {
      reset: { reset: true },
      truncate: { truncateAt: Math.floor(random() * 4096) },
      '5xx': { status: pick(random, [500, 502, 503, 504]), body: 'upstream trouble' },
      etcd: { status: 500, body: 'etcdserver: leader changed' },
      delay: { delayMs: 50 + Math.floor(random() * 400) },
      // Right length, one byte changed: only the digest check can catch it.
      corrupt: { corrupt: true },
    };
    return actions[kind];
  };
}

test('chaos: random faults on both upstreams, concurrent clients, only verified bytes', async (t) => {
  const work = await tempDir('chaos', t);
  const repo = await writeRandomChartRepo(join(work, 'repo'), {
    names: 30,
    versions: 10,
    minBytes: 2 * 1024,
    maxBytes: 32 * 1024,
    seed: 'chaos',
  });
  const truth = new Map(repo.charts.map((c) => [c.file, c.digest]));
  const tallies = [new Map<string, number>(), new Map<string, number>()];
  const upstreams: FaultUpstream[] = [];
  for (const [i, tally] of tallies.entries()) {
    const upstream = await startFaultUpstream({ root: repo.dir, plan: chaosPlan(1000 + i, tally) });
    t.after(() => upstream.stop());
    upstreams.push(upstream);
  }
  const ballast = await startBallastProcess({
    repos: [
      {
        name: 'demo',
        upstreams: upstreams.map((u) => ({ url: u.url })),
        // Every index request revalidates, so the index meets the faults too.
        refresh: '0s',
      },
    ],
  });
  t.after(() => ballast.stop());

  const outcomes = new Map<string, number>();
  const note = (what: string) => outcomes.set(what, (outcomes.get(what) ?? 0) + 1);
  const mismatches: string[] = [];
  const failures: string[] = [];
  const latencies: number[] = [];
  const startedAt = performance.now();
  let issued = 0;

  async function client(seed: number) {
    const random = createSeededRandom(seed);
    while (issued < maxRequests && performance.now() - startedAt < maxLoadMs) {
      issued++;
      if (random() < 0.2) {
        const response = await helmStyleGet(`${ballast.url}/demo/index.yaml`, requestTimeoutMs);
        latencies.push(response.ms);
        if (response.status !== 200) {
          note(`index ${response.status || response.error}`);
          failures.push(`index: ${response.error ?? response.body.toString().slice(0, 300)}`);
          continue;
        }
        note('index 200');
        const index = JSON.parse(response.body.toString()) as {
          entries: Record<string, { name: string; version: string; digest: string }[]>;
        };
        const entries = Object.values(index.entries).flat();
        if (entries.length !== repo.charts.length) {
          mismatches.push(`index with ${entries.length} entries`);
        }
        for (const entry of entries) {
          if (truth.get(`${entry.name}-${entry.version}.tgz`) !== entry.digest) {
            mismatches.push(`index entry ${entry.name}@${entry.version} has a wrong digest`);
          }
        }
      } else {
        const chart = pick(random, repo.charts);
        const response = await helmStyleGet(
          `${ballast.url}/demo/charts/${chart.file}`,
          requestTimeoutMs,
        );
        latencies.push(response.ms);
        if (response.status !== 200) {
          note(`chart ${response.status || response.error}`);
          failures.push(
            `${chart.file}: ${response.error ?? response.body.toString().slice(0, 300)}`,
          );
          continue;
        }
        note('chart 200');
        if (sha256Hex(response.body) !== chart.digest) {
          mismatches.push(`${chart.file}: ${response.body.length} bytes that do not match`);
        }
      }
    }
  }
  await Promise.all(Array.from({ length: clients }, (_, i) => client(42 + i)));
  const loadMs = performance.now() - startedAt;

  const ok = (outcomes.get('index 200') ?? 0) + (outcomes.get('chart 200') ?? 0);
  t.diagnostic(
    `${issued} requests in ${(loadMs / 1000).toFixed(1)} s by ${clients} clients: ${JSON.stringify(Object.fromEntries(outcomes))}; latency p50 ${percentile(latencies, 50).toFixed(0)} ms, p99 ${percentile(latencies, 99).toFixed(0)} ms`,
  );
  for (const failure of failures.slice(0, 5)) t.diagnostic(`failed: ${failure}`);
  for (const [i, tally] of tallies.entries()) {
    t.diagnostic(
      `upstream ${i}: ${upstreams[i]?.requests.length} requests, faults ${JSON.stringify(Object.fromEntries(tally))}`,
    );
  }
  assert.ok(issued <= maxRequests && loadMs < 60_000, 'the run stayed within its bounds');
  assert.deepEqual(mismatches, [], 'no client ever received bytes that do not match the digest');
  for (const kind of ['reset', 'truncate', '5xx', 'etcd', 'delay', 'corrupt']) {
    const offered = tallies.reduce((sum, tally) => sum + (tally.get(kind) ?? 0), 0);
    assert.ok(offered > 0, `the upstreams did inject ${kind}`);
  }
  for (const tally of tallies) assert.ok(tally.size > 0, 'both upstreams misbehaved');
  assert.ok(ok >= issued * 0.8, `most requests succeed despite the faults (${ok} of ${issued})`);

  await ballast.stop();
  const audit = await auditStoreBlobs(ballast.dataDir);
  t.diagnostic(`store: ${audit.count} blobs, all hashed`);
  assert.deepEqual(audit.bad, [], 'every stored blob hashes to its own name');
  assert.ok(audit.count > 0, 'charts were stored');
});
