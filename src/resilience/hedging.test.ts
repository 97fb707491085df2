import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BallastError } from '../errors/ballast-error.ts';
import { createEventBus } from '../observability/events.ts';
import { createManualClock, type ManualClock } from './clock.ts';
import {
  type HedgeAttempt,
  HedgeLostError,
  hedge,
  hedgeDelay,
  mostRelevantError,
} from './hedging.ts';
import { createLatencyWindow } from './latency-window.ts';

const status = (statusCode: number) =>
  new BallastError('BALLAST_UPSTREAM_STATUS', { source: 'u', statusCode });

/** An attempt that takes `ms` on the clock, then answers `value` or throws `error`. */
function timed(
  clock: ManualClock,
  log: string[],
  ms: number,
  outcome: { value?: string; error?: unknown },
) {
  const attempt: HedgeAttempt<string> = async ({ index, signal }) => {
    log.push(`start ${index} @${clock.now()}`);
    try {
      await clock.sleep(ms, signal);
    } catch (reason) {
      log.push(`aborted ${index} (${reason instanceof HedgeLostError ? 'lost' : 'other'})`);
      throw reason;
    }
    if (outcome.error !== undefined) throw outcome.error;
    return outcome.value ?? `answer ${index}`;
  };
  return attempt;
}

const never = 1e9;

describe('hedge', () => {
  it('asks only the first upstream when it answers within its delay', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const result = hedge([timed(clock, log, 50, {}), timed(clock, log, 10, {})], {
      clock,
      delayFor: () => 100,
    });
    await clock.advance(1_000);
    assert.deepEqual(await result, { value: 'answer 0', winner: 0, started: 1 });
    assert.deepEqual(log, ['start 0 @0']);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('asks the next upstream after the delay; the first answer wins and the loser is aborted', async () => {
    const clock = createManualClock();
    const bus = createEventBus();
    const events: string[] = [];
    bus.on('hedge:fired', (e) => events.push(`fired ${e.label} ${e.index} ${e.reason}`));
    bus.on('hedge:won', (e) => events.push(`won ${e.label} ${e.index} of ${e.started}`));
    const log: string[] = [];
    const result = hedge([timed(clock, log, never, {}), timed(clock, log, 50, {})], {
      clock,
      delayFor: () => 100,
      label: 'repo/index.yaml',
      bus,
    });
    await clock.advance(1_000);
    assert.deepEqual(await result, { value: 'answer 1', winner: 1, started: 2 });
    assert.deepEqual(log, ['start 0 @0', 'start 1 @100', 'aborted 0 (lost)']);
    assert.deepEqual(events, ['fired repo/index.yaml 1 delay', 'won repo/index.yaml 1 of 2']);
  });

  it('starts the next attempt at once when one fails', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const result = hedge([timed(clock, log, 5, { error: status(503) }), timed(clock, log, 5, {})], {
      clock,
      delayFor: () => 100,
    });
    await clock.advance(1_000);
    assert.equal((await result).winner, 1);
    assert.deepEqual(log, ['start 0 @0', 'start 1 @5']);
  });

  it('uses each attempt its own delay', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const attempts = [never, never, 10].map((ms) => timed(clock, log, ms, {}));
    const result = hedge(attempts, { clock, delayFor: (index) => (index + 1) * 100 });
    await clock.advance(1_000);
    assert.equal((await result).winner, 2);
    assert.deepEqual(log.slice(0, 3), ['start 0 @0', 'start 1 @100', 'start 2 @300']);
  });

  it('waits for attempts still running when the last one fails early', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const result = hedge(
      [timed(clock, log, 400, { value: 'slow' }), timed(clock, log, 5, { error: status(502) })],
      { clock, delayFor: () => 100 },
    );
    await clock.advance(1_000);
    assert.deepEqual(await result, { value: 'slow', winner: 0, started: 2 });
  });

  it('throws the first transient error when all fail', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const unavailable = status(503);
    const result = hedge(
      [timed(clock, log, 5, { error: status(404) }), timed(clock, log, 5, { error: unavailable })],
      { clock, delayFor: () => 100 },
    );
    const settled = assert.rejects(result, (e) => e === unavailable);
    await clock.advance(1_000);
    await settled;
  });

  it('stops everything when the caller aborts', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const controller = new AbortController();
    const result = hedge([timed(clock, log, never, {}), timed(clock, log, never, {})], {
      clock,
      delayFor: () => 100,
      signal: controller.signal,
    });
    await clock.advance(150);
    const gone = new Error('client gone');
    controller.abort(gone);
    await assert.rejects(result, (e) => e === gone);
    await clock.settle();
    assert.deepEqual(log, ['start 0 @0', 'start 1 @100', 'aborted 0 (other)', 'aborted 1 (other)']);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('never hedges an attempt whose delay is infinite, but still moves on when it fails', async () => {
    const clock = createManualClock();
    const log: string[] = [];
    const result = hedge(
      [timed(clock, log, 5_000, { error: status(503) }), timed(clock, log, 5, {})],
      { clock, delayFor: () => Number.POSITIVE_INFINITY },
    );
    await clock.advance(10_000);
    assert.equal((await result).winner, 1);
    assert.deepEqual(log, ['start 0 @0', 'start 1 @5000']);
  });

  it('rejects an empty list', async () => {
    await assert.rejects(hedge([], { clock: createManualClock(), delayFor: () => 1 }), RangeError);
  });
});

describe('mostRelevantError', () => {
  it('prefers a transient fault, else the first error', () => {
    const notFound = status(404);
    const unavailable = status(503);
    assert.equal(mostRelevantError([notFound, unavailable]), unavailable);
    const digest = new BallastError('BALLAST_DIGEST_MISMATCH', {});
    assert.equal(mostRelevantError([notFound, digest]), notFound);
  });
});

describe('hedge delay', () => {
  const policy = { floorMs: 100, ceilingMs: 1_000, minSamples: 3, coldDelayMs: 400 };
  const windowOf = (samples: number[]) => {
    const window = createLatencyWindow(10);
    for (const sample of samples) window.record(sample);
    return window;
  };
  it('uses the cold delay until enough samples exist', () => {
    assert.equal(hedgeDelay(undefined, policy), 400);
    assert.equal(hedgeDelay(windowOf([900, 900]), policy), 400);
  });
  it('follows the p95 between floor and ceiling', () => {
    assert.equal(hedgeDelay(windowOf([200, 250, 300]), policy), 300);
    assert.equal(hedgeDelay(windowOf([2, 3, 4]), policy), 100);
    assert.equal(hedgeDelay(windowOf([5_000, 6_000, 7_000]), policy), 1_000);
  });
});
