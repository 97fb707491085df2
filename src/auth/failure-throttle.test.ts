import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createFailureThrottle } from './failure-throttle.ts';

function fakeTime() {
  let t = 1_000_000;
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number) => {
      slept.push(ms);
      t += ms;
    },
    advance: (ms: number) => {
      t += ms;
    },
    slept,
  };
}

test('an address without failures is not slowed', async () => {
  const time = fakeTime();
  const throttle = createFailureThrottle(time);
  assert.equal(await throttle.wait('10.0.0.1'), true);
  assert.deepEqual(time.slept, []);
});

test('each failure doubles the wait of the next attempt from that address only', async () => {
  const time = fakeTime();
  const throttle = createFailureThrottle({ ...time, baseDelayMs: 100, maxDelayMs: 10_000 });
  for (let i = 0; i < 4; i++) {
    await throttle.wait('a');
    throttle.failed('a');
  }
  assert.deepEqual(time.slept, [100, 200, 400]);
  await throttle.wait('b');
  assert.deepEqual(time.slept, [100, 200, 400], 'another address is not slowed');
});

test('parallel guesses take turns, and a flood past the longest delay is refused at once', async () => {
  const time = fakeTime();
  const waits: number[] = [];
  const throttle = createFailureThrottle({
    now: time.now,
    sleep: async (ms) => {
      waits.push(ms);
    },
    baseDelayMs: 1000,
    maxDelayMs: 3000,
  });
  throttle.failed('a');
  const turns = await Promise.all([1, 2, 3, 4].map(() => throttle.wait('a')));
  assert.deepEqual(turns, [true, true, true, false], 'the fourth turn would be 4 s away');
  assert.deepEqual(waits, [1000, 2000, 3000]);
});

test('failures are forgotten after a while, and memory is bounded', async () => {
  const time = fakeTime();
  const throttle = createFailureThrottle({ ...time, forgetAfterMs: 60_000, maxAddresses: 100 });
  for (let i = 0; i < 1000; i++) throttle.failed(`10.0.${i >> 8}.${i & 255}`);
  assert.equal(throttle.size, 100);
  time.advance(61_000);
  assert.equal(await throttle.wait('10.0.3.231'), true);
  assert.deepEqual(time.slept, [], 'a forgotten address waits no more');
});
