import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildChartArchive } from '../../bench/chart-archive.ts';
import { loadedHostedRepo } from '../../test/support/hosted-repo.ts';
import { BallastError } from '../errors/ballast-error.ts';
import type { ChartRepo } from '../mirror/chart-repo.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Store } from '../store/store.ts';
import { createCombinedRepo } from './combined-repo.ts';
import { digestOf } from './hosted-uploads.ts';

const actor = { who: 'ci', address: '127.0.0.1' };

const hostedRepo = (store: Store, name: string) => loadedHostedRepo(store, { name });

const chart = (name: string, version: string, size = 2000) =>
  buildChartArchive({ name, version, targetBytes: size });

test('one index of uploads and mirror: the upload wins a clash, spans and files follow', async () => {
  const store = createMemoryStore();
  // Another hosted repository stands in for the mirror: it is a ChartRepo like any other.
  const mirror = await hostedRepo(store, 'upstream');
  await mirror.putChart({ chart: chart('demo', '1.0.0', 3000) }, actor);
  await mirror.putChart({ chart: chart('other', '2.0.0') }, actor);
  const own = await hostedRepo(store, 'team');
  const uploaded = chart('demo', '1.0.0');
  await own.putChart({ chart: uploaded }, actor);
  await own.putChart({ chart: chart('demo', '1.1.0') }, actor);
  const combined = createCombinedRepo(own, mirror, store);

  const { index, staleBecause } = await combined.index();
  assert.equal(staleBecause, undefined);
  const body = JSON.parse(String(index.body));
  assert.deepEqual(Object.keys(body.entries), ['demo', 'other']);
  assert.deepEqual(
    body.entries.demo.map((e: { version: string; digest: string }) => [e.version, e.digest]),
    [
      ['1.1.0', digestOf(chart('demo', '1.1.0')).slice(7)],
      ['1.0.0', digestOf(uploaded).slice(7)],
    ],
  );
  assert.deepEqual(body.serverInfo, { contextPath: '' });
  for (const [name, [start, end]] of index.spans)
    assert.deepEqual(JSON.parse(String(index.body?.subarray(start, end))), body.entries[name]);
  assert.equal((await combined.chart('demo-1.0.0.tgz')).digest, digestOf(uploaded));
  assert.equal((await combined.chart('other-2.0.0.tgz')).digest, digestOf(chart('other', '2.0.0')));
  assert.equal(index.charts.size, 3);
});

test('upstreams that never answered: the uploads are served alone, marked stale', async () => {
  const store = createMemoryStore();
  const own = await hostedRepo(store, 'team');
  await own.putChart({ chart: chart('demo', '1.0.0') }, actor);
  const failing = {
    ...(await hostedRepo(store, 'nothing')),
    index: async () => {
      throw new BallastError('BALLAST_INDEX_UNAVAILABLE', { repo: 'team', reason: 'down' });
    },
  } satisfies ChartRepo;
  const view = await createCombinedRepo(own, failing, store).index();
  assert.equal(view.staleBecause, 'BALLAST_INDEX_UNAVAILABLE');
  assert.deepEqual(Object.keys(JSON.parse(String(view.index.body)).entries), ['demo']);
});
