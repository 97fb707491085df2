import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BallastError } from '../errors/ballast-error.ts';
import { type BallastEvents, createEventBus } from '../observability/events.ts';
import { createBreakerRegistry, createCircuitBreaker, throughBreaker } from './circuit-breaker.ts';
import { createManualClock } from './clock.ts';
import { classifyFault } from './fault-taxonomy.ts';

const source = 'charts.example';
const unavailable = () => new BallastError('BALLAST_UPSTREAM_STATUS', { source, statusCode: 503 });
const notFound = () => new BallastError('BALLAST_UPSTREAM_STATUS', { source, statusCode: 404 });
const aborted = () => new DOMException('client gone', 'AbortError');

function setup(policy = { failureThreshold: 3, coolDownMs: 10_000, halfOpenProbes: 1 }) {
  const clock = createManualClock();
  const bus = createEventBus();
  const transitions: BallastEvents['breaker:state'][] = [];
  bus.on('breaker:state', (event) => transitions.push(event));
  const breaker = createCircuitBreaker({ key: source, clock, policy, bus });
  const fail = (times: number, error: () => unknown = unavailable) => {
    for (let i = 0; i < times; i++) {
      assert.equal(breaker.tryAcquire(), true);
      breaker.recordFailure(error());
    }
  };
  return { clock, breaker, transitions, fail };
}

describe('circuit breaker', () => {
  it('opens after N consecutive transient failures and then skips at once', () => {
    const { breaker, transitions, fail } = setup();
    fail(2);
    assert.equal(breaker.state, 'closed');
    fail(1);
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.tryAcquire(), false);
    assert.deepEqual(transitions, [
      { key: source, from: 'closed', to: 'open', consecutiveFailures: 3, cause: 'http-503' },
    ]);
  });

  it('does not count permanent faults or aborts, and a success resets the count', () => {
    const { breaker, fail } = setup();
    fail(2);
    fail(5, aborted);
    assert.equal(breaker.snapshot().consecutiveFailures, 2);
    fail(1, notFound);
    assert.equal(breaker.snapshot().consecutiveFailures, 0);
    fail(2);
    assert.equal(breaker.tryAcquire(), true);
    breaker.recordSuccess();
    fail(2);
    assert.equal(breaker.state, 'closed');
  });

  it('lets a bounded number of probes through after the cool-down; success recovers', async () => {
    const { clock, breaker, transitions, fail } = setup({
      failureThreshold: 1,
      coolDownMs: 10_000,
      halfOpenProbes: 2,
    });
    fail(1);
    await clock.advance(9_999);
    assert.equal(breaker.tryAcquire(), false);
    await clock.advance(1);
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false);
    breaker.recordSuccess();
    assert.equal(breaker.state, 'closed');
    assert.deepEqual(
      transitions.map((t) => `${t.from}→${t.to}`),
      ['closed→open', 'open→half-open', 'half-open→closed'],
    );
    assert.deepEqual(breaker.snapshot(), {
      key: source,
      state: 'closed',
      consecutiveFailures: 0,
      opens: 1,
      recoveries: 1,
    });
  });

  it('re-opens for a whole new cool-down when a probe fails', async () => {
    const { clock, breaker, fail } = setup({
      failureThreshold: 2,
      coolDownMs: 1_000,
      halfOpenProbes: 1,
    });
    fail(2);
    await clock.advance(1_000);
    fail(1);
    assert.equal(breaker.state, 'open');
    await clock.advance(999);
    assert.equal(breaker.tryAcquire(), false);
    await clock.advance(1);
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.snapshot().opens, 2);
  });

  it('frees a probe slot on release, and one whose outcome never came after a cool-down', async () => {
    const { clock, breaker, fail } = setup({
      failureThreshold: 1,
      coolDownMs: 1_000,
      halfOpenProbes: 1,
    });
    fail(1);
    await clock.advance(1_000);
    assert.equal(breaker.tryAcquire(), true);
    breaker.release();
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false);
    await clock.advance(1_000);
    assert.equal(breaker.tryAcquire(), true);
  });

  it('a probe that meets a permanent fault closes it: the host answered', async () => {
    const { clock, breaker, fail } = setup({
      failureThreshold: 1,
      coolDownMs: 1_000,
      halfOpenProbes: 1,
    });
    fail(1);
    await clock.advance(1_000);
    fail(1, notFound);
    assert.equal(breaker.state, 'closed');
  });

  it('ignores late outcomes while open', () => {
    const { breaker, fail } = setup({ failureThreshold: 1, coolDownMs: 1_000, halfOpenProbes: 1 });
    fail(1);
    breaker.recordSuccess();
    breaker.recordFailure(unavailable());
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.snapshot().opens, 1);
  });
});

describe('throughBreaker', () => {
  it('records outcomes and refuses at once while open', async () => {
    const { breaker } = setup({ failureThreshold: 1, coolDownMs: 1_000, halfOpenProbes: 1 });
    assert.equal(await throughBreaker(breaker, async () => 'ok'), 'ok');
    await assert.rejects(
      throughBreaker(breaker, async () => {
        throw unavailable();
      }),
      { code: 'BALLAST_UPSTREAM_STATUS' },
    );
    let ran = false;
    const skipped = await throughBreaker(breaker, async () => {
      ran = true;
    }).catch((error: unknown) => error);
    assert.equal(ran, false);
    assert.deepEqual(classifyFault(skipped), {
      transient: true,
      cause: 'breaker-open',
      tryNextUpstreamFirst: true,
    });
  });
});

describe('breaker registry', () => {
  it('makes one breaker per key on demand and reports them all', () => {
    const clock = createManualClock();
    const registry = createBreakerRegistry({ clock, policy: { failureThreshold: 1 } });
    assert.equal(registry.get('a.example'), registry.get('a.example'));
    registry.get('b.example').recordFailure(unavailable());
    assert.deepEqual(
      registry.snapshots().map((s) => [s.key, s.state]),
      [
        ['a.example', 'closed'],
        ['b.example', 'open'],
      ],
    );
  });
});
