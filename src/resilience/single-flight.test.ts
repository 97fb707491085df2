import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSingleFlight } from './single-flight.ts';

test('concurrent calls for one key run the work once and share its result', async () => {
  const flight = createSingleFlight<number>();
  let calls = 0;
  const work = async () => {
    calls += 1;
    await new Promise((resolve) => setImmediate(resolve));
    return 42;
  };
  const results = await Promise.all([flight.run('a', work), flight.run('a', work)]);
  assert.deepEqual(results, [42, 42]);
  assert.equal(calls, 1);
  assert.equal(flight.inFlight, 0);
});

test('a failure is shared, then the key is free for a new attempt', async () => {
  const flight = createSingleFlight<string>();
  const failing = flight.run('k', async () => {
    throw new Error('boom');
  });
  await assert.rejects(failing, /boom/);
  assert.equal(await flight.run('k', async () => 'ok'), 'ok');
});

test('different keys do not share work', async () => {
  const flight = createSingleFlight<string>();
  const [a, b] = await Promise.all([
    flight.run('a', async () => 'A'),
    flight.run('b', async () => 'B'),
  ]);
  assert.deepEqual([a, b], ['A', 'B']);
});
