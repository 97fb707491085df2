import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import { createEventBus } from '../observability/events.ts';
import { createManualClock } from './clock.ts';
import { backoffDelay, defaultRetryPolicy, type RetryNotice, withRetry } from './retry.ts';
import { parseRetryAfter } from './retry-after.ts';

const source = 'upstream-a';
const status = (statusCode: number, retryAfter?: string) =>
  new BallastError('BALLAST_UPSTREAM_STATUS', { source, statusCode, retryAfter });
const refused = () =>
  new BallastError('BALLAST_UPSTREAM_UNREACHABLE', { source, errno: 'ECONNREFUSED', reason: 'x' });

/** A work function that throws the given errors in turn, then answers 'ok'. */
function scripted(errors: unknown[]) {
  const calls: number[] = [];
  const work = async ({ attempt }: { attempt: number }) => {
    calls.push(attempt);
    const error = errors[attempt - 1];
    if (error !== undefined) throw error;
    return 'ok';
  };
  return { work, calls };
}

describe('retry', () => {
  it('retries transient faults with full-jitter backoff and reports each retry', async () => {
    const clock = createManualClock(0);
    const bus = createEventBus();
    const events: unknown[] = [];
    bus.on('upstream:retry', (event) => events.push(event));
    const notices: RetryNotice[] = [];
    const { work, calls } = scripted([status(503), refused(), status(500, undefined)]);
    const result = withRetry(work, {
      clock,
      deadline: 60_000,
      random: () => 0.5,
      upstream: source,
      bus,
      onRetry: (notice) => notices.push(notice),
    });
    await clock.advance(10_000);
    assert.equal(await result, 'ok');
    assert.deepEqual(calls, [1, 2, 3, 4]);
    assert.deepEqual(
      notices.map((n) => [n.attempt, n.cause, n.delayMs, n.retryAfter]),
      [
        [1, 'http-503', 50, false],
        [2, 'connect-refused', 100, false],
        [3, 'http-500', 200, false],
      ],
    );
    assert.deepEqual(events[0], {
      upstream: source,
      attempt: 1,
      cause: 'http-503',
      delayMs: 50,
      retryAfter: false,
    });
    assert.equal(clock.now(), 10_000);
  });

  it('caps the backoff and keeps it within [0, cap)', () => {
    const policy = { ...defaultRetryPolicy, baseDelayMs: 100, maxDelayMs: 2_000 };
    assert.equal(
      backoffDelay(0, policy, () => 0.999),
      99,
    );
    assert.equal(
      backoffDelay(3, policy, () => 0.5),
      400,
    );
    assert.equal(
      backoffDelay(30, policy, () => 0.999),
      1_998,
    );
    assert.equal(
      backoffDelay(30, policy, () => 0),
      0,
    );
  });

  it('does not retry a permanent fault', async () => {
    const clock = createManualClock();
    const { work, calls } = scripted([status(404)]);
    await assert.rejects(withRetry(work, { clock, deadline: 60_000 }), (e) =>
      isBallastError(e, 'BALLAST_UPSTREAM_STATUS'),
    );
    assert.deepEqual(calls, [1]);
  });

  it('gives a non-idempotent request exactly one attempt', async () => {
    const clock = createManualClock();
    const { work, calls } = scripted([status(503)]);
    await assert.rejects(withRetry(work, { clock, deadline: 60_000, method: 'post' }));
    assert.deepEqual(calls, [1]);
  });

  it('stops after maxAttempts and rethrows the last error', async () => {
    const clock = createManualClock();
    const last = status(502);
    const { work, calls } = scripted([status(503), status(503), last]);
    const result = withRetry(work, { clock, deadline: 60_000, policy: { maxAttempts: 3 } });
    const settled = assert.rejects(result, (e) => e === last);
    await clock.advance(10_000);
    await settled;
    assert.deepEqual(calls, [1, 2, 3]);
  });

  it('honours Retry-After in seconds, capped', async () => {
    const clock = createManualClock();
    const notices: RetryNotice[] = [];
    const { work } = scripted([status(429, '3'), status(503, '120')]);
    const result = withRetry(work, {
      clock,
      deadline: 60_000,
      onRetry: (n) => notices.push(n),
      policy: { retryAfterCapMs: 5_000 },
    });
    await clock.advance(2_999);
    assert.equal(notices.length, 1);
    await clock.advance(1);
    assert.equal(notices.length, 2);
    await clock.advance(5_000);
    assert.equal(await result, 'ok');
    assert.deepEqual(
      notices.map((n) => [n.delayMs, n.retryAfter]),
      [
        [3_000, true],
        [5_000, true],
      ],
    );
  });

  it('gives up at once when Retry-After does not fit before the deadline', async () => {
    const clock = createManualClock();
    const { work, calls } = scripted([status(503, '8')]);
    await assert.rejects(withRetry(work, { clock, deadline: 5_000 }));
    assert.deepEqual(calls, [1]);
    assert.equal(clock.now(), 0);
  });

  it('never sleeps past the deadline and stops when no attempt would fit', async () => {
    const clock = createManualClock();
    const calls: number[] = [];
    const slowFailure = async () => {
      calls.push(clock.now());
      await clock.sleep(50);
      throw status(503);
    };
    const result = withRetry(slowFailure, {
      clock,
      deadline: 1_000,
      random: () => 0.999,
      policy: { maxAttempts: 10, baseDelayMs: 400, maxDelayMs: 5_000, minAttemptMs: 100 },
    });
    let settledAt = -1;
    const settled = assert.rejects(result, (e) => {
      settledAt = clock.now();
      return isBallastError(e, 'BALLAST_UPSTREAM_STATUS');
    });
    await clock.advance(5_000);
    await settled;
    // Fails at 50, waits 399; fails at 499, waits min(799, 1000-499-100) = 401; fails at 950
    // with 50 ms left, less than minAttemptMs: gives up there and then.
    assert.deepEqual(calls, [0, 449, 900]);
    assert.equal(settledAt, 950);
  });

  it('cancels the wait at once when the client goes away', async () => {
    const clock = createManualClock();
    const controller = new AbortController();
    const { work, calls } = scripted([status(503), status(503)]);
    const result = withRetry(work, {
      clock,
      deadline: 60_000,
      signal: controller.signal,
      random: () => 0.5,
    });
    await clock.advance(1);
    const gone = new Error('client gone');
    controller.abort(gone);
    await assert.rejects(result, (e) => e === gone);
    assert.deepEqual(calls, [1]);
    assert.equal(clock.pendingSleeps, 0);
  });

  it('aborts an attempt that runs into the deadline and reports the deadline', async () => {
    const clock = createManualClock();
    let seen: AbortSignal | undefined;
    const work = ({ signal }: { signal: AbortSignal }) => {
      seen = signal;
      return new Promise<string>((_, reject) =>
        signal.addEventListener('abort', () => reject(new Error('aborted'))),
      );
    };
    const result = withRetry(work, { clock, deadline: 2_000, upstream: source });
    const settled = assert.rejects(
      result,
      (e) => isBallastError(e, 'BALLAST_UPSTREAM_TIMEOUT') && e.details.stage === 'deadline',
    );
    await clock.advance(2_000);
    await settled;
    assert.equal(seen?.aborted, true);
  });

  it('lets the caller narrow what is retried', async () => {
    const clock = createManualClock();
    const nxdomain = new BallastError('BALLAST_UPSTREAM_UNREACHABLE', {
      source,
      errno: 'ENOTFOUND',
      reason: 'no such host',
    });
    const { work, calls } = scripted([nxdomain]);
    const result = withRetry(work, {
      clock,
      deadline: 60_000,
      shouldRetry: (verdict) => verdict.transient && !verdict.tryNextUpstreamFirst,
    });
    await assert.rejects(result, (e) => e === nxdomain);
    assert.deepEqual(calls, [1]);
  });
});

describe('Retry-After parsing', () => {
  const now = Date.parse('2025-03-01T12:00:00Z');
  it('reads delay-seconds', () => {
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter(' 7 ', now), 7_000);
    assert.equal(parseRetryAfter(2, now), 2_000);
  });
  it('reads an HTTP-date relative to now, never negative', () => {
    assert.equal(parseRetryAfter('Sat, 01 Mar 2025 12:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Sat, 01 Mar 2025 11:00:00 GMT', now), 0);
  });
  it('ignores what it cannot read', () => {
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter('-5', now), undefined);
    assert.equal(parseRetryAfter('1.5', now), undefined);
    assert.equal(parseRetryAfter('2024', now), 2_024_000);
    assert.equal(parseRetryAfter('Foo, 99 Bar 2025 99:99:99 GMT', now), undefined);
  });
});
