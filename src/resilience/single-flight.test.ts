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

test('the shared work is aborted only when every waiting caller has gone', async () => {
  const flight = createSingleFlight<string>();
  let aborted = false;
  const work = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      signal.addEventListener('abort', () => {
        aborted = true;
        reject(signal.reason);
      });
      setTimeout(() => resolve('done'), 100);
    });
  const first = new AbortController();
  const second = new AbortController();
  const a = flight.run('k', work, first.signal);
  const b = flight.run('k', work, second.signal);
  first.abort(new Error('first client left'));
  await assert.rejects(a, /first client left/);
  assert.equal(aborted, false, 'one caller is still waiting');
  second.abort(new Error('second client left'));
  await assert.rejects(b, /second client left/);
  assert.equal(aborted, true);
});

test('a caller without a signal keeps the shared work alive', async () => {
  const flight = createSingleFlight<string>();
  const work = () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 50));
  const leaving = new AbortController();
  const a = flight.run('k', work, leaving.signal);
  const b = flight.run('k', work);
  leaving.abort(new Error('gone'));
  await assert.rejects(a, /gone/);
  assert.equal(await b, 'done');
});

test('work that outlives its callers runs to its end and serves the caller after them', async () => {
  const flight = createSingleFlight<string>({ outlivesCallers: true });
  let runs = 0;
  let aborted = false;
  const work = (signal: AbortSignal) => {
    runs += 1;
    signal.addEventListener('abort', () => {
      aborted = true;
    });
    return new Promise<string>((resolve) => setTimeout(() => resolve('stored'), 50));
  };
  const leaving = new AbortController();
  const a = flight.run('k', work, leaving.signal);
  leaving.abort(new Error('client timed out'));
  await assert.rejects(a, /client timed out/, 'the caller is released at once');
  const later = flight.run('k', work, new AbortController().signal);
  assert.equal(await later, 'stored');
  assert.equal(runs, 1, 'the next caller joined the work under way');
  assert.equal(aborted, false);
});
