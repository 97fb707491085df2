import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BallastError } from '../errors/ballast-error.ts';
import { createBreakerRegistry } from './circuit-breaker.ts';
import { createManualClock, type ManualClock } from './clock.ts';
import { createLatencyWindows } from './latency-window.ts';
import { callUpstreams, type ResilientCallOptions, type UpstreamCall } from './resilient-call.ts';

const unreachable = (source: string, errno: string) =>
  new BallastError('BALLAST_UPSTREAM_UNREACHABLE', { source, errno, reason: errno });
const status = (source: string, statusCode: number, bodySnippet?: string) =>
  new BallastError('BALLAST_UPSTREAM_STATUS', { source, statusCode, bodySnippet });

/** An upstream whose n-th request (1-based, over its whole life) takes `ms` and then does `outcome(n)`. */
function upstream(clock: ManualClock, key: string, ms: number, outcome: (n: number) => unknown) {
  const log: number[] = [];
  const call: UpstreamCall<string> = {
    key,
    async run({ signal }) {
      log.push(clock.now());
      await clock.sleep(ms, signal);
      const result = outcome(log.length);
      if (result instanceof Error) throw result;
      return `${key} #${log.length}`;
    },
  };
  return { call, log };
}

function setup() {
  const clock = createManualClock(0);
  const options = (extra: Partial<ResilientCallOptions> = {}): ResilientCallOptions => ({
    clock,
    deadline: clock.now() + 10_000,
    breakers,
    latencies,
    random: () => 0.5,
    ...extra,
  });
  const breakers = createBreakerRegistry({
    clock,
    policy: { failureThreshold: 3, coolDownMs: 30_000 },
  });
  const latencies = createLatencyWindows(20);
  return { clock, options, breakers, latencies };
}

async function run<T>(clock: ManualClock, pending: Promise<T>, ms = 20_000): Promise<T> {
  const outcome = pending.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  await clock.advance(ms);
  const settled = await outcome;
  if ('error' in settled) throw settled.error;
  return settled.value;
}

describe('callUpstreams', () => {
  it('moves to the next upstream at once when the first does not resolve (incident A)', async () => {
    const { clock, options } = setup();
    const primary = upstream(clock, 'primary', 5, () => unreachable('primary', 'ENOTFOUND'));
    const mirror = upstream(clock, 'mirror', 20, () => 'ok');
    const result = await run(clock, callUpstreams([primary.call, mirror.call], options()));
    assert.deepEqual(result, { value: 'mirror #1', winner: 1, started: 2 });
    assert.deepEqual(primary.log, [0]);
    assert.deepEqual(mirror.log, [5]);
  });

  it('retries a lone upstream whose name appears a few seconds late (incident B)', async () => {
    const { clock, options } = setup();
    const late = upstream(clock, 'late', 5, () =>
      clock.now() < 3_000 ? unreachable('late', 'ENOTFOUND') : 'ok',
    );
    const result = await run(
      clock,
      callUpstreams([late.call], options({ retry: { maxAttempts: 50, maxDelayMs: 1_000 } })),
    );
    assert.equal(result.winner, 0);
    assert.ok(late.log.length > 2 && (late.log.at(-1) ?? 0) >= 3_000);
  });

  it('retries an etcd leader change on the same upstream without hedging (incident D)', async () => {
    const { clock, options } = setup();
    const flaky = upstream(clock, 'api', 10, (n) =>
      n === 1 ? status('api', 500, 'etcdserver: leader changed') : 'ok',
    );
    const spare = upstream(clock, 'spare', 10, () => 'ok');
    const result = await run(clock, callUpstreams([flaky.call, spare.call], options()));
    assert.deepEqual(result, { value: 'api #2', winner: 0, started: 1 });
    assert.deepEqual(flaky.log, [0, 60]);
  });

  it('asks the next upstream when the first is slower than its recent p95', async () => {
    const { clock, options, latencies } = setup();
    for (let i = 0; i < 10; i++) latencies.get('slow').record(150);
    const slow = upstream(clock, 'slow', 2_000, () => 'ok');
    const fast = upstream(clock, 'fast', 30, () => 'ok');
    const result = await run(clock, callUpstreams([slow.call, fast.call], options()));
    assert.deepEqual(result, { value: 'fast #1', winner: 1, started: 2 });
    assert.deepEqual(fast.log, [150]);
    assert.equal(latencies.get('fast').percentile(95), 30);
  });

  it('skips an upstream whose breaker opened, without waiting on it', async () => {
    const { clock, options, breakers } = setup();
    const down = upstream(clock, 'down', 5, () => unreachable('down', 'ECONNREFUSED'));
    const up = upstream(clock, 'up', 5, () => 'ok');
    const calls = [down.call, up.call];
    for (let i = 0; i < 3; i++) {
      await run(clock, callUpstreams(calls, options({ deadline: clock.now() + 10_000 })));
    }
    assert.equal(breakers.get('down').state, 'open');
    const seen = down.log.length;
    const startedAt = clock.now();
    const result = await run(
      clock,
      callUpstreams(calls, options({ deadline: startedAt + 10_000 })),
      5,
    );
    assert.equal(result.winner, 1);
    assert.equal(down.log.length, seen);
    assert.deepEqual(up.log.at(-1), startedAt);
  });

  it('gives up by the deadline with the most relevant error', async () => {
    const { clock, options } = setup();
    const gone = upstream(clock, 'gone', 5, () => status('gone', 404));
    const busy = upstream(clock, 'busy', 5, () => status('busy', 503));
    let settledAt = 0;
    const tight = options({ deadline: 2_000, retry: { maxAttempts: 100 } });
    const pending = callUpstreams([gone.call, busy.call], tight).finally(() => {
      settledAt = clock.now();
    });
    await assert.rejects(run(clock, pending), {
      code: 'BALLAST_UPSTREAM_STATUS',
      details: { source: 'busy', statusCode: 503, bodySnippet: undefined },
    });
    assert.ok(settledAt <= 2_000, `settled at ${settledAt}`);
    assert.deepEqual(gone.log, [0]);
    assert.ok(busy.log.length > 4, `busy was asked ${busy.log.length} times`);
  });

  it('does not hedge when hedging is off', async () => {
    const { clock, options } = setup();
    const slow = upstream(clock, 'slow', 3_000, () => 'ok');
    const fast = upstream(clock, 'fast', 10, () => 'ok');
    const result = await run(
      clock,
      callUpstreams([slow.call, fast.call], options({ hedge: false })),
    );
    assert.deepEqual(result, { value: 'slow #1', winner: 0, started: 1 });
  });
});
