import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fakeUpstream, mirrorWorld } from '../../test/support/mirror-world.ts';

// Which upstream's index is served, in one process (test/support/mirror-world.ts).

const primary = 'https://primary.example.test/charts';
const secondary = 'https://secondary.example.test/charts';

function twoUpstreams(merge: boolean, versions: [number, number]) {
  const w = mirrorWorld({
    name: 'stable',
    merge,
    upstreams: [{ url: primary }, { url: secondary }],
  });
  const a = fakeUpstream(w.store, primary, { versions: versions[0], etag: '"a1"' });
  const b = fakeUpstream(w.store, secondary, { versions: versions[1], etag: '"b1"' });
  return { w, a, b, mirror: w.mirror([a, b]) };
}

test('failover: the second upstream serves while the first fails, the first again once it answers', async () => {
  // As many versions in both: the guard compares each answer with the index served before.
  const { a, b, mirror } = twoUpstreams(false, [3, 3]);
  await mirror.load();
  const first = await mirror.index();
  assert.equal(first.index.versions, 3);
  assert.equal(first.index.charts.get('demo-1.0.0.tgz')?.upstream, 0);
  assert.equal(b.asked.length, 0, 'the second upstream is not asked while the first answers');

  a.answer = 'fail';
  await mirror.refresh();
  const failedOver = await mirror.index();
  assert.equal(failedOver.index.versions, 3);
  assert.equal(failedOver.staleBecause, undefined, 'an upstream answered: not stale');
  assert.equal(failedOver.index.charts.get('demo-1.0.0.tgz')?.upstream, 1);
  assert.equal(
    failedOver.index.charts.get('demo-1.0.2.tgz')?.url,
    `${secondary}/charts/demo-1.0.2.tgz`,
  );

  // Unchanged since its last good index (a 304), the first upstream is served again, built
  // from its stored copy.
  a.answer = 'not-modified';
  await mirror.refresh();
  const back = await mirror.index();
  assert.deepEqual(a.asked.at(-1), { etag: '"a1"' });
  assert.equal(back.index.versions, 3);
  assert.equal(back.index.charts.get('demo-1.0.0.tgz')?.upstream, 0);
  assert.equal(back.index.charts.get('demo-1.0.2.tgz')?.url, `${primary}/charts/demo-1.0.2.tgz`);
});

test('a primary smaller than its backup is served again once it recovers', async () => {
  const { a, b, mirror } = twoUpstreams(false, [3, 5]);
  await mirror.load();
  assert.equal((await mirror.index()).index.versions, 3);

  a.answer = 'fail';
  await mirror.refresh();
  assert.equal((await mirror.index()).index.versions, 5, 'the backup serves, larger');

  // The primary's index passed the guard when it was stored: the backup's size is no yardstick.
  a.answer = 'not-modified';
  await mirror.refresh();
  const back = await mirror.index();
  assert.equal(back.index.versions, 3);
  assert.equal(back.index.charts.get('demo-1.0.0.tgz')?.upstream, 0);
  assert.equal(back.staleBecause, undefined);
  assert.equal(b.asked.length, 1);
});

test('a backup much smaller than the served index is refused by the guard: the last good copy stays', async () => {
  const { a, mirror } = twoUpstreams(false, [5, 3]);
  await mirror.load();
  const good = await mirror.index();
  a.answer = 'fail';
  await assert.rejects(mirror.refresh());
  const kept = await mirror.index();
  assert.equal(kept.index, good.index);
});

test('merge: the union of every upstream, and the last good copy of one that fails', async () => {
  const { a, b, mirror } = twoUpstreams(true, [3, 4]);
  await mirror.load();
  const merged = await mirror.index();
  // Both list demo 1.0.0-1.0.2; the first upstream wins a clash.
  assert.equal(merged.index.versions, 4);
  assert.equal(merged.index.charts.get('demo-1.0.2.tgz')?.upstream, 0);
  assert.equal(merged.index.charts.get('demo-1.0.3.tgz')?.upstream, 1);
  assert.equal(a.asked.length, 1);
  assert.equal(b.asked.length, 1);

  b.answer = 'fail';
  a.answer = 'not-modified';
  await mirror.refresh();
  const partly = await mirror.index();
  assert.equal(partly.index, merged.index, 'nothing changed: the same index is served');
  assert.equal(partly.staleBecause, undefined);

  b.answer = 'fail';
  a.answer = 'fail';
  await assert.rejects(mirror.refresh(), { code: 'BALLAST_UPSTREAM_UNREACHABLE' });
  const stale = await mirror.index();
  assert.equal(stale.index, merged.index);
  assert.equal(stale.staleBecause, 'BALLAST_UPSTREAM_UNREACHABLE');
});
