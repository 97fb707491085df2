import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { parseConfig } from '../config/load-config.ts';
import { BallastError } from '../errors/ballast-error.ts';
import { createEventBus } from '../observability/events.ts';
import { createLogger } from '../observability/logger.ts';
import { createBreakerRegistry } from '../resilience/circuit-breaker.ts';
import { createLatencyWindows } from '../resilience/latency-window.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Store } from '../store/store.ts';
import { buildIndex } from './index-build.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import { createRepoMirror, type RepoMirror } from './repo-mirror.ts';

// Replicas of one repository in one process, sharing a memory store and a clock the test
// moves: what the refresh lease and the shared freshness record do, without waiting.

const refresh = 60_000;
const upstreamUrl = 'http://upstream.test/charts';

/** The repository `demo`, mirroring these upstreams in this order. */
function repoConfig(urls: string[]) {
  const upstreams = urls.map((url) => `{ url: "${url}" }`).join(', ');
  const [repo] = parseConfig(
    `repos: [{ name: demo, upstreams: [${upstreams}], refresh: 1m }]`,
    'ballast.yaml',
  ).config.repos;
  assert.ok(repo);
  return repo;
}

/** A classic upstream that counts index requests, answers 304 to its own ETag, or fails. */
function createUpstream(url = upstreamUrl, versions = ['1.0.0']) {
  const state = { down: false, indexGets: 0, versions };
  const etag = () => `"${state.versions.join(',')}"`;
  const body = () =>
    JSON.stringify({
      apiVersion: 'v1',
      entries: {
        demo: state.versions.map((version) => ({
          apiVersion: 'v2',
          name: 'demo',
          version,
          digest: 'd'.repeat(64),
          urls: [`charts/demo-${version}.tgz`],
        })),
      },
    });
  const client: MirrorUpstream = {
    url,
    label: url,
    key: new URL(url).host,
    async fetchIndex(validators) {
      state.indexGets += 1;
      if (state.down)
        throw new BallastError('BALLAST_UPSTREAM_UNREACHABLE', {
          source: url,
          reason: 'connection refused',
        });
      if (validators?.etag === etag()) return { kind: 'not-modified' };
      return {
        kind: 'fetched',
        body: Readable.from([Buffer.from(body())]),
        validators: { etag: etag() },
      };
    },
    fetchChart: () => Promise.reject(new Error('no charts in this test')),
    fetchSidecar: () => Promise.reject(new Error('no charts in this test')),
  };
  return { client, state };
}

type Upstream = ReturnType<typeof createUpstream>;

/** One replica; without a name it takes no refresh lease (a single process on its own disk). */
async function startReplica(
  store: Store,
  upstream: Upstream | Upstream[],
  time: { now: number },
  name?: string,
): Promise<RepoMirror> {
  const upstreams = Array.isArray(upstream) ? upstream : [upstream];
  const bus = createEventBus();
  const clock = {
    now: () => time.now,
    sleep: () => Promise.reject(new Error('nothing waits in this test')),
  };
  const mirror = createRepoMirror({
    repo: repoConfig(upstreams.map((u) => u.client.url)),
    upstreams: upstreams.map((u) => u.client),
    store,
    resilience: {
      clock,
      bus,
      breakers: createBreakerRegistry({ clock, bus }),
      latencies: createLatencyWindows(),
      deadlineMs: 10_000,
      retry: { maxAttempts: 1 },
      hedge: false,
    },
    logger: createLogger({ level: 'silent' }),
    limits: { chartSize: 1 << 20, provSize: 1 << 16 },
    now: clock.now,
    buildIndex,
    ...(name ? { replica: name } : {}),
  });
  await mirror.load();
  return mirror;
}

/** Lets background refreshes finish: on a memory store and a 304 they need no I/O. */
async function drain() {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

test('a replica without the refresh lease reports the holder’s failing upstream as stale', async () => {
  const store = createMemoryStore();
  const upstream = createUpstream();
  const time = { now: 1_000_000 };
  const a = await startReplica(store, upstream, time, 'a');
  await a.index(); // nothing stored yet: A asks the upstream
  const b = await startReplica(store, upstream, time, 'b');

  time.now += refresh;
  await a.refresh(); // A takes the lease; the upstream confirms the index
  const confirmedAt = time.now;
  time.now += refresh;
  upstream.state.down = true;
  await assert.rejects(a.refresh());
  const held = await a.index(); // and, while its upstream fails, tries again in the background
  assert.ok(held.staleBecause, 'the holder reports its failing upstream');
  await drain();

  const asked = upstream.state.indexGets;
  time.now += 1000;
  await b.refresh();
  assert.equal(upstream.state.indexGets, asked, 'B leaves the upstream to the lease holder');
  const other = await b.index();
  assert.equal(other.staleBecause, held.staleBecause, 'B says why, as A does');
  assert.equal(other.checkedAt, confirmedAt, 'B ages the index from the last confirmation');
  assert.equal(b.status().lastError, a.status().lastError);

  upstream.state.down = false;
  time.now += refresh;
  await a.refresh();
  const recoveredAt = time.now;
  time.now += refresh / 2; // within A's lease
  await b.refresh();
  const recovered = await b.index();
  assert.equal(recovered.staleBecause, undefined);
  assert.equal(recovered.checkedAt, recoveredAt);
});

test('a replica without the lease serves the backup the holder failed over to, then the primary again', async () => {
  const store = createMemoryStore();
  const primary = createUpstream('http://primary.test/charts', ['1.0.0', '1.1.0']);
  // As many versions in both, so the guard lets the backup in.
  const backup = createUpstream('http://backup.test/charts', ['1.0.0', '1.0.1']);
  const time = { now: 1_000_000 };
  const a = await startReplica(store, [primary, backup], time, 'a');
  await a.index();
  const b = await startReplica(store, [primary, backup], time, 'b');
  const servedBy = async (replica: RepoMirror) => {
    const { index } = await replica.index();
    return { etag: index.etag, has: [...index.charts.keys()].sort() };
  };
  const fromPrimary = await servedBy(a);
  assert.deepEqual(fromPrimary.has, ['demo-1.0.0.tgz', 'demo-1.1.0.tgz']);

  time.now += refresh;
  primary.state.down = true;
  await a.refresh(); // A holds the leases and fails over to the backup
  const failedOver = await servedBy(a);
  assert.deepEqual(failedOver.has, ['demo-1.0.0.tgz', 'demo-1.0.1.tgz'], 'A serves the backup');
  await drain();
  time.now += 1000;
  const asked = primary.state.indexGets + backup.state.indexGets;
  await b.refresh();
  assert.equal(primary.state.indexGets + backup.state.indexGets, asked, 'B asks no upstream');
  assert.deepEqual(await servedBy(b), failedOver, 'B serves the backup too');
  const followed = (await b.index()).index;
  time.now += 1000;
  await b.refresh();
  assert.equal((await b.index()).index, followed, 'and stays on it, with no build in between');

  primary.state.down = false;
  time.now += refresh;
  await a.refresh();
  const recovered = await servedBy(a);
  assert.deepEqual(recovered, fromPrimary, 'A is back on the primary');
  await drain();
  time.now += 1000;
  await b.refresh();
  assert.deepEqual(await servedBy(b), recovered, 'so is B');
});

test('a replica without the lease that hears nothing from the holder serves as before', async () => {
  const store = createMemoryStore();
  const upstream = createUpstream();
  const time = { now: 1_000_000 };
  const a = await startReplica(store, upstream, time, 'a');
  await a.index();
  const b = await startReplica(store, upstream, time, 'b');
  time.now += refresh;
  await a.refresh();
  // A damaged record (or one from a version that wrote none) is ignored.
  await store.putDocument('replicas/repos/demo/freshness', '{"checkedAt":"soon"');
  time.now += refresh / 2;
  await b.refresh();
  const view = await b.index();
  assert.equal(view.staleBecause, undefined);
  assert.equal(view.checkedAt, time.now);
});

/** Upstream index requests from `count` replicas asked for the index 4 times per `refresh`. */
async function indexGets(count: number, periods: number, lease: boolean): Promise<number> {
  const store = createMemoryStore();
  const upstream = createUpstream();
  const time = { now: 1_000_000 };
  const replicas = [await startReplica(store, upstream, time, lease ? 'r0' : undefined)];
  await replicas[0]?.index(); // the first one stores the index; the others start from it
  for (let i = 1; i < count; i++)
    replicas.push(await startReplica(store, upstream, time, lease ? `r${i}` : undefined));
  const before = upstream.state.indexGets;
  for (let step = 0; step < periods * 4; step++) {
    time.now += refresh / 4;
    for (const replica of replicas) await replica.index();
    await drain();
  }
  return upstream.state.indexGets - before;
}

test('with the lease, upstream index requests stay at about one per refresh, whatever the replicas', async (t) => {
  const periods = 10;
  for (const count of [2, 4]) {
    const withLease = await indexGets(count, periods, true);
    const without = await indexGets(count, periods, false);
    t.diagnostic(
      `${count} replicas, ${periods} refresh periods: ${withLease} index requests with the lease, ${without} without`,
    );
    assert.ok(withLease <= periods + 1, `${count} replicas with the lease: ${withLease} requests`);
    assert.ok(without >= count * periods, `${count} replicas without it: ${without} requests`);
  }
});
