import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Answer,
  demoChart,
  fakeUpstream,
  mirrorWorld,
  settled,
  sha256Hex,
  until,
} from '../../test/support/mirror-world.ts';
import type { BallastError } from '../errors/ballast-error.ts';
import type { EventBus, EventName } from '../observability/events.ts';

// The index lifecycle in one process (test/support/mirror-world.ts): a memory store, a clock
// the test moves, in-process builds, upstreams that answer what the test says.

const refreshMs = 60_000;
const upstreamUrl = 'https://charts.example.test/stable';

function world() {
  const w = mirrorWorld({
    name: 'stable',
    upstreams: [{ url: upstreamUrl }],
    refresh: `${refreshMs}ms`,
  });
  return { ...w, upstream: (answer: Answer) => fakeUpstream(w.store, upstreamUrl, answer) };
}

/** Collects the bus's `name` events. */
function heard(bus: EventBus, name: EventName): unknown[] {
  const events: unknown[] = [];
  bus.on(name, (event) => events.push(event));
  return events;
}

/** A mirror that has fetched and served its first index from an upstream answering `answer`. */
async function servedOnce(answer: Answer) {
  const w = world();
  const upstream = w.upstream(answer);
  const mirror = w.mirror([upstream]);
  await mirror.load();
  const first = await mirror.index();
  return { w, upstream, mirror, first, t0: w.clock.t };
}

test('an empty store: the first request fetches the upstream index and serves it', async () => {
  const w = world();
  const upstream = w.upstream({ versions: 3, etag: '"v1"' });
  const mirror = w.mirror([upstream]);
  await mirror.load();
  assert.deepEqual(
    { ready: mirror.status().ready, versions: mirror.status().versions },
    { ready: false, versions: 0 },
  );
  assert.equal(upstream.asked.length, 0, 'loading an empty store asks no upstream');

  const view = await mirror.index();
  assert.equal(view.index.versions, 3);
  assert.equal(view.checkedAt, w.clock.t);
  assert.equal(view.staleBecause, undefined);
  assert.deepEqual(view.index.charts.get('demo-1.0.2.tgz'), {
    url: `${upstreamUrl}/charts/demo-1.0.2.tgz`,
    digest: `sha256:${sha256Hex(demoChart(2))}`,
    upstream: 0,
    name: 'demo',
    version: '1.0.2',
  });
  assert.deepEqual(upstream.asked, [undefined], 'one unconditional request');
  assert.deepEqual(
    { ready: mirror.status().ready, versions: mirror.status().versions },
    { ready: true, versions: 3 },
  );
});

test('an empty store and a failing upstream: the index is unavailable, with the cause', async () => {
  const w = world();
  const mirror = w.mirror([w.upstream('fail')]);
  await mirror.load();
  await assert.rejects(mirror.index(), (error: BallastError) => {
    assert.equal(error.code, 'BALLAST_INDEX_UNAVAILABLE');
    assert.match(error.message, /BALLAST_UPSTREAM_UNREACHABLE/);
    return true;
  });
  assert.equal(mirror.status().ready, false);
  assert.match(mirror.status().lastError ?? '', /connection refused/);
});

test('the upstream is asked again only once `refresh` has passed', async () => {
  const { w, upstream, mirror, first, t0 } = await servedOnce({ versions: 2, etag: '"v1"' });

  upstream.answer = { versions: 3, etag: '"v2"' };
  w.clock.t = t0 + refreshMs - 1;
  const early = await mirror.index();
  // A refresh started behind the request would reach the upstream within milliseconds.
  await settled();
  assert.equal(upstream.asked.length, 1, 'not asked before the interval has passed');
  assert.equal(early.index, first.index);

  w.clock.t = t0 + refreshMs;
  const updated = heard(w.bus, 'index:updated');
  const due = await mirror.index();
  // The request is answered from the current index; the refresh runs behind it.
  assert.equal(due.index.versions, 2);
  await until(() => mirror.status().checkedAt === t0 + refreshMs, 'the background refresh');
  assert.equal(updated.length, 1);
  assert.equal(upstream.asked.length, 2);
  assert.deepEqual(upstream.asked[1], { etag: '"v1"' }, 'a conditional request');

  const after = await mirror.index();
  assert.equal(after.index.versions, 3);
  assert.equal(after.checkedAt, t0 + refreshMs);
  assert.notEqual(after.index.etag, first.index.etag);
  await settled();
  assert.equal(upstream.asked.length, 2, 'a fresh index asks nothing more');
});

test('an upstream that fails after a good index: the last good one is served, marked stale', async () => {
  const { w, upstream, mirror, first: good, t0 } = await servedOnce({ versions: 2, etag: '"v1"' });

  upstream.answer = 'fail';
  w.clock.t = t0 + 1_000;
  const failed = heard(w.bus, 'index:refresh-failed');
  await assert.rejects(mirror.refresh(), { code: 'BALLAST_UPSTREAM_UNREACHABLE' });
  assert.equal(failed.length, 1);
  const stale = await mirror.index();
  assert.equal(stale.index, good.index);
  assert.equal(stale.staleBecause, 'BALLAST_UPSTREAM_UNREACHABLE');
  assert.equal(stale.checkedAt, t0, 'checkedAt stays when the upstream last confirmed it');
  assert.match(mirror.status().lastError ?? '', /connection refused/);

  upstream.answer = 'not-modified';
  await mirror.refresh();
  const recovered = await mirror.index();
  assert.equal(recovered.staleBecause, undefined);
  assert.equal(recovered.checkedAt, t0 + 1_000);
  assert.equal(mirror.status().lastError, undefined);
});

test('the guard refuses a shrunken index and keeps serving the old one', async () => {
  const { w, upstream, mirror, first: good } = await servedOnce({ versions: 10, etag: '"v1"' });

  // The default maxShrink is 10%: 10 → 8 versions is refused.
  upstream.answer = { versions: 8, etag: '"v2"' };
  const refused = heard(w.bus, 'guard:refused');
  await assert.rejects(mirror.refresh(), { code: 'BALLAST_INDEX_REFUSED' });
  assert.equal(refused.length, 1);
  const view = await mirror.index();
  assert.equal(view.index, good.index);
  assert.equal(view.index.versions, 10);
  assert.equal(view.staleBecause, 'BALLAST_INDEX_REFUSED');

  // The refused index never replaced the stored one: the next request is still conditional
  // on the validators of the good one.
  upstream.answer = 'not-modified';
  await mirror.refresh();
  assert.deepEqual(upstream.asked.at(-1), { etag: '"v1"' });
  assert.equal((await mirror.index()).index.versions, 10);
});

test('a restart serves the stored index without asking the upstream', async () => {
  const { w, first: served, t0 } = await servedOnce({ versions: 4, etag: '"v1"' });

  w.clock.t = t0 + refreshMs / 2;
  const upstream = w.upstream('fail');
  const after = w.mirror([upstream]);
  await after.load();
  assert.deepEqual(
    { ready: after.status().ready, loading: after.status().loading },
    { ready: true, loading: false },
  );
  const view = await after.index();
  assert.equal(view.index.versions, 4);
  assert.equal(view.index.etag, served.index.etag);
  assert.equal(view.checkedAt, t0, 'the stored copy keeps when it was last confirmed');
  assert.equal(view.staleBecause, undefined);
  assert.equal(view.index.charts.size, 4);
  await settled();
  assert.equal(upstream.asked.length, 0);
});

test('a not-modified answer keeps the index and moves checkedAt', async () => {
  const { w, upstream, mirror, first, t0 } = await servedOnce({ versions: 2, etag: '"v1"' });

  upstream.answer = 'not-modified';
  w.clock.t = t0 + refreshMs;
  const unchanged = heard(w.bus, 'index:unchanged');
  await mirror.index();
  await until(() => mirror.status().checkedAt === t0 + refreshMs, 'the background refresh');
  assert.equal(unchanged.length, 1);
  assert.deepEqual(upstream.asked, [undefined, { etag: '"v1"' }]);
  const view = await mirror.index();
  assert.equal(view.index, first.index);
  assert.equal(view.checkedAt, t0 + refreshMs);
  assert.equal(mirror.status().checkedAt, t0 + refreshMs);
  await settled();
  assert.equal(upstream.asked.length, 2, 'checked again only after another interval');
});
