import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createManualClock } from './clock.ts';
import { createDeadlineSignal } from './deadline.ts';

describe('deadline signal', () => {
  it('aborts with the given reason when the deadline passes on the clock', async () => {
    const clock = createManualClock(1_000);
    const late = new Error('deadline passed');
    const { signal } = createDeadlineSignal(clock, 1_500, { reason: () => late });
    await clock.advance(499);
    assert.equal(signal.aborted, false);
    await clock.advance(1);
    assert.equal(signal.reason, late);
  });

  it('follows the parent signal, also one that is already aborted', () => {
    const clock = createManualClock();
    const parent = new AbortController();
    const { signal } = createDeadlineSignal(clock, 10, {
      parent: parent.signal,
      reason: () => 'x',
    });
    parent.abort('client gone');
    assert.equal(signal.reason, 'client gone');
    const early = createDeadlineSignal(clock, 10, {
      parent: AbortSignal.abort('gone'),
      reason: () => 'x',
    });
    assert.equal(early.signal.reason, 'gone');
    assert.equal(clock.pendingSleeps, 1);
  });

  it('leaves no timer behind once disposed', async () => {
    const clock = createManualClock();
    const guard = createDeadlineSignal(clock, 100, { reason: () => 'late' });
    guard.dispose();
    await clock.settle();
    assert.equal(clock.pendingSleeps, 0);
    await clock.advance(200);
    assert.equal(guard.signal.aborted, false);
  });
});
