import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createEventBus } from '../observability/events.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { createChartPins } from './chart-pins.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}` as const;

test('pins persist in the store, every one of concurrent records, and load back', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ballast-pins-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = await createFsStore({ root });
  const bus = createEventBus();
  const events: string[] = [];
  bus.on('chart:pinned', (e) => events.push(`${e.file} ${e.pinned}`));
  const pins = createChartPins({ repo: 'r', store, bus });
  await Promise.all([
    pins.record('a-1.0.0.tgz', digest('a')),
    pins.record('b-1.0.0.tgz', digest('b')),
    pins.record('c-1.0.0.tgz', digest('c')),
  ]);
  await pins.record('a-1.0.0.tgz', digest('a'));
  assert.equal(events.length, 3, 'recording the same pin again is not news');

  const reloaded = createChartPins({ repo: 'r', store, bus });
  await reloaded.load();
  assert.equal(reloaded.size, 3);
  assert.equal(reloaded.get('b-1.0.0.tgz'), digest('b'));
  assert.deepEqual(Object.keys(reloaded.all()).sort(), [
    'a-1.0.0.tgz',
    'b-1.0.0.tgz',
    'c-1.0.0.tgz',
  ]);
});

test('a tampered pins document yields only well-formed pins', async (t) => {
  const root = await mkdtemp(join(tmpdir(), 'ballast-pins-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  const store = await createFsStore({ root });
  await store.putDocument(
    'repos/r/pins',
    JSON.stringify({ 'ok-1.tgz': 'e'.repeat(64), 'short.tgz': 'abc', 'num.tgz': 5 }),
  );
  const pins = createChartPins({ repo: 'r', store, bus: createEventBus() });
  await pins.load();
  assert.deepEqual(pins.all(), { 'ok-1.tgz': 'e'.repeat(64) });
  for (const garbage of ['{"truncated', 'null', '\u0000\u0001']) {
    await store.putDocument('repos/r/pins', garbage);
    const fresh = createChartPins({ repo: 'r', store, bus: createEventBus() });
    await assert.rejects(fresh.load());
    assert.equal(fresh.size, 0);
  }
});

test('replicas pinning different charts at once on one store lose none of the pins', async () => {
  const store = createMemoryStore();
  const bus = createEventBus();
  const replicas = [0, 1, 2].map(() => createChartPins({ repo: 'r', store, bus }));
  const files = ['a', 'b', 'c', 'd', 'e', 'f'];
  await Promise.all(
    files.map((c, i) => replicas[i % replicas.length]?.record(`${c}-1.0.0.tgz`, digest(c))),
  );
  const reloaded = createChartPins({ repo: 'r', store, bus });
  await reloaded.load();
  assert.deepEqual(
    Object.keys(reloaded.all()).sort(),
    files.map((c) => `${c}-1.0.0.tgz`),
  );
});

test('the first pin stored for a file stands on a replica that downloaded other bytes', async () => {
  const store = createMemoryStore();
  const bus = createEventBus();
  const pinned: string[] = [];
  bus.on('chart:pinned', (e) => pinned.push(e.digest));
  const [first, second] = [0, 1].map(() => createChartPins({ repo: 'r', store, bus }));
  await first?.record('x-1.0.0.tgz', digest('1'));
  await second?.record('x-1.0.0.tgz', digest('2'));
  assert.equal(second?.get('x-1.0.0.tgz'), digest('1'));
  assert.deepEqual(pinned, [digest('1')], 'only the pin that was stored is news');
  const stored = JSON.parse(String(await store.getDocument('repos/r/pins')));
  assert.deepEqual(stored, { 'x-1.0.0.tgz': '1'.repeat(64) });
});
