import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { createRefreshLease } from './refresh-lease.ts';

test('one replica holds the lease; another takes it once it lapses', async () => {
  const store = createMemoryStore();
  let now = 1_000;
  const lease = (holder: string) =>
    createRefreshLease({ store, key: 'leases/r/u', holder, durationMs: 500, now: () => now });
  const [a, b] = [lease('a'), lease('b')];
  assert.equal(await a.acquire(), true);
  assert.equal(await b.acquire(), false);
  assert.equal(await a.acquire(), true, 'the holder renews');
  now += 499;
  assert.equal(await b.acquire(), false);
  now += 2;
  assert.equal(await b.acquire(), true, 'lapsed: b takes over');
  assert.equal(await a.acquire(), false);
});

test('of replicas racing for a free lease, exactly one gets it', async () => {
  const store = createMemoryStore();
  const racers = ['a', 'b', 'c', 'd'].map((holder) =>
    createRefreshLease({ store, key: 'leases/r/u', holder, durationMs: 500, now: () => 0 }),
  );
  const won = await Promise.all(racers.map((lease) => lease.acquire()));
  assert.equal(won.filter(Boolean).length, 1);
});
