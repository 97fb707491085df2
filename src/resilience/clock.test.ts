import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock, createSystemClock } from './clock.ts';

describe('manual clock', () => {
  it('resolves due sleeps in the order they fall due', async () => {
    const clock = createManualClock(1000);
    const woke: string[] = [];
    clock.sleep(30).then(() => woke.push(`c@${clock.now()}`));
    clock.sleep(10).then(() => woke.push(`a@${clock.now()}`));
    clock.sleep(10).then(() => woke.push(`b@${clock.now()}`));
    await clock.advance(20);
    assert.deepEqual(woke, ['a@1010', 'b@1010']);
    assert.equal(clock.now(), 1020);
    assert.equal(clock.pendingSleeps, 1);
    await clock.advance(10);
    assert.deepEqual(woke, ['a@1010', 'b@1010', 'c@1030']);
  });

  it('honours sleeps started by woken code inside the same advance', async () => {
    const clock = createManualClock();
    const times: number[] = [];
    const loop = async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        times.push(clock.now());
      }
    };
    const done = loop();
    await clock.advance(250);
    assert.deepEqual(times, [100, 200]);
    await clock.advance(50);
    await done;
    assert.deepEqual(times, [100, 200, 300]);
  });

  it('rejects a sleep with the signal reason on abort, and forgets it', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1000, controller.signal);
    const reason = new Error('client gone');
    controller.abort(reason);
    await assert.rejects(sleeping, (error) => error === reason);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const clock = createManualClock();
    const reason = new Error('already');
    await assert.rejects(clock.sleep(5, AbortSignal.abort(reason)), (error) => error === reason);
  });
});

describe('system clock', () => {
  it('is monotonic and near the epoch', () => {
    const clock = createSystemClock();
    const a = clock.now();
    const b = clock.now();
    assert.ok(b >= a);
    assert.ok(Math.abs(a - Date.now()) < 60_000);
  });

  it('sleeps for zero ms and rejects with the abort reason', async () => {
    const clock = createSystemClock();
    await clock.sleep(0);
    const controller = new AbortController();
    const sleeping = clock.sleep(60_000, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(sleeping, /stop/);
  });
});
