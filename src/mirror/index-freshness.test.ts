import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BallastError } from '../errors/ballast-error.ts';
import { createEventBus } from '../observability/events.ts';
import { createLogger } from '../observability/logger.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import { createIndexFreshness } from './index-freshness.ts';

const key = 'replicas/repos/r/freshness';

function replica(store = createMemoryStore(), name = 'a') {
  const state = { now: 5_000, asked: 0, servedFrom: ['https://charts.example'] };
  const freshness = createIndexFreshness({
    repo: 'r',
    store,
    bus: createEventBus(),
    logger: createLogger({ level: 'silent' }),
    now: () => state.now,
    asked: () => state.asked,
    servedFrom: () => state.servedFrom,
    replica: name,
  });
  return { store, state, freshness };
}

test('the replica that asked shares a failure; one that did not ask reports it as its own', async () => {
  const a = replica();
  const attempt = a.freshness.begin();
  a.state.asked += 1;
  const error = new BallastError('BALLAST_UPSTREAM_TIMEOUT', {
    source: 'https://charts.example',
    stage: 'headers',
    ms: 5000,
  });
  await attempt.failed(1_234, error);

  const b = replica(a.store, 'b');
  b.state.now = 9_000;
  const heard = await b.freshness.begin().succeeded();
  assert.equal(heard.checkedAt, 1_234);
  assert.equal(heard.heardAt, 9_000);
  assert.equal(heard.lastError?.code, 'BALLAST_UPSTREAM_TIMEOUT');
  assert.equal(heard.lastError?.message, error.message);
  assert.deepEqual(heard.servedFrom, ['https://charts.example'], 'and what it still serves');
});

test('a replica that failed without asking an upstream (the store failed) tells nobody', async () => {
  const a = replica();
  await a.freshness
    .begin()
    .failed(
      1,
      new BallastError('BALLAST_STORE_UNAVAILABLE', { operation: 'GET', key, reason: 'x' }),
    );
  assert.equal(await a.store.getDocument(key), undefined);
});

test('records another replica could not have written are ignored', async () => {
  const b = replica();
  for (const garbage of [
    '{"checkedAt":1,"failure":{"code":"BALLAST_NO_SUCH_CODE","details":{}}}',
    '{"checkedAt":"yesterday"}',
    'null',
    '[1,2]',
    '\u0000',
  ]) {
    await b.store.putDocument(key, garbage);
    const view = await b.freshness.begin().succeeded();
    assert.deepEqual(view, { checkedAt: 5_000, lastError: undefined, heardAt: 0 }, garbage);
  }
  await b.store.putDocument(
    key,
    JSON.stringify({
      checkedAt: 7,
      failure: { code: 'BALLAST_UPSTREAM_UNREACHABLE', details: { source: 's', reason: { x: 1 } } },
    }),
  );
  const view = await b.freshness.begin().succeeded();
  assert.equal(view.lastError?.message, 'cannot reach s: {reason}', 'only plain details are kept');
  for (const servedFrom of ['"https://charts.example"', '[1]', '[]']) {
    await b.store.putDocument(key, `{"checkedAt":7,"servedFrom":${servedFrom}}`);
    const heard = await b.freshness.begin().succeeded();
    assert.equal(heard.servedFrom, undefined, `servedFrom ${servedFrom} is not followed`);
  }
});
