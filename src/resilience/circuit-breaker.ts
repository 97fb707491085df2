import { BallastError } from '../errors/ballast-error.ts';
import type { EventBus } from '../observability/events.ts';
import type { Clock } from './clock.ts';
import { classifyFault, type FaultVerdict } from './fault-taxonomy.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerPolicy {
  /** Consecutive transient failures that open the breaker. */
  failureThreshold: number;
  /** How long an open breaker skips its host before letting probes through. */
  coolDownMs: number;
  /** Requests let through at once while half-open. */
  halfOpenProbes: number;
}

export const defaultBreakerPolicy: Readonly<BreakerPolicy> = Object.freeze({
  failureThreshold: 5,
  coolDownMs: 30_000,
  halfOpenProbes: 1,
});

export interface BreakerSnapshot {
  key: string;
  state: BreakerState;
  consecutiveFailures: number;
  /** Times it went to open, re-opening after a failed probe included. */
  opens: number;
  /** Times a probe succeeded and closed it again. */
  recoveries: number;
}

export interface CircuitBreaker {
  readonly key: string;
  readonly state: BreakerState;
  /**
   * May a request go to this host now? Never waits: false while open (skip the host), and
   * while half-open once the probe slots are taken. A true must be followed by exactly one
   * recordSuccess, recordFailure or release.
   */
  tryAcquire(): boolean;
  recordSuccess(): void;
  /**
   * Only transient faults count against the host. A permanent fault (a 404, a digest
   * mismatch) means the host answered, so it counts as a sign of life; an abort counts as
   * nothing.
   */
  recordFailure(error: unknown): void;
  /** Gives the permit back without an outcome (the request was cancelled before it ran). */
  release(): void;
  snapshot(): BreakerSnapshot;
}

export interface BreakerOptions {
  key: string;
  clock: Clock;
  policy?: Partial<BreakerPolicy>;
  classify?: (error: unknown) => FaultVerdict;
  bus?: EventBus;
}

export function createCircuitBreaker(options: BreakerOptions): CircuitBreaker {
  const { key, clock, bus } = options;
  const policy: BreakerPolicy = { ...defaultBreakerPolicy, ...options.policy };
  const classify = options.classify ?? classifyFault;
  let state: BreakerState = 'closed';
  let failures = 0;
  let openedAt = 0;
  let probes = 0;
  let lastProbeAt = 0;
  let opens = 0;
  let recoveries = 0;

  const moveTo = (next: BreakerState, cause?: string) => {
    const from = state;
    state = next;
    if (next === 'open') {
      openedAt = clock.now();
      opens++;
    }
    if (next === 'half-open') probes = 0;
    if (next === 'closed') {
      if (from === 'half-open') recoveries++;
      failures = 0;
    }
    bus?.emit('breaker:state', { key, from, to: next, consecutiveFailures: failures, cause });
  };

  // Cool-down ends lazily, when someone looks: no timers to clean up.
  const current = (): BreakerState => {
    if (state === 'open' && clock.now() - openedAt >= policy.coolDownMs) moveTo('half-open');
    // A probe whose outcome never came must not wedge the breaker half-open forever.
    if (state === 'half-open' && probes > 0 && clock.now() - lastProbeAt >= policy.coolDownMs) {
      probes = 0;
    }
    return state;
  };

  const succeeded = () => {
    if (state === 'open') return; // a late answer to a request made before it opened
    if (state === 'half-open') moveTo('closed');
    failures = 0;
  };

  const release = () => {
    if (state === 'half-open' && probes > 0) probes--;
  };

  return {
    key,
    get state() {
      return current();
    },
    tryAcquire() {
      const now = current();
      if (now === 'closed') return true;
      if (now === 'open' || probes >= policy.halfOpenProbes) return false;
      probes++;
      lastProbeAt = clock.now();
      return true;
    },
    recordSuccess: succeeded,
    recordFailure(error) {
      const verdict = classify(error);
      if (verdict.cause === 'aborted') return release();
      if (!verdict.transient) return succeeded();
      if (state === 'open') return;
      failures++;
      if (state === 'half-open' || failures >= policy.failureThreshold) {
        moveTo('open', verdict.cause);
      }
    },
    release,
    snapshot() {
      return { key, state: current(), consecutiveFailures: failures, opens, recoveries };
    },
  };
}

/**
 * Runs one request to the breaker's host, or fails at once with a breaker-open error (the
 * taxonomy's 'breaker-open': transient, next upstream first) while the host is skipped.
 */
export async function throughBreaker<T>(
  breaker: CircuitBreaker,
  work: () => Promise<T>,
): Promise<T> {
  if (!breaker.tryAcquire()) throw breakerOpenError(breaker.key);
  try {
    const value = await work();
    breaker.recordSuccess();
    return value;
  } catch (error) {
    breaker.recordFailure(error);
    throw error;
  }
}

export function breakerOpenError(key: string): BallastError {
  return new BallastError('BALLAST_UPSTREAM_UNREACHABLE', {
    source: key,
    errno: 'BREAKER_OPEN',
    reason: 'skipped: its circuit breaker is open after repeated failures',
  });
}

export interface BreakerRegistry {
  /** The breaker of one host, made on first use. */
  get(key: string): CircuitBreaker;
  /** Every breaker's state, for metrics and the status page. */
  snapshots(): BreakerSnapshot[];
}

export function createBreakerRegistry(options: Omit<BreakerOptions, 'key'>): BreakerRegistry {
  const breakers = new Map<string, CircuitBreaker>();
  return {
    get(key) {
      let breaker = breakers.get(key);
      if (!breaker) {
        breaker = createCircuitBreaker({ ...options, key });
        breakers.set(key, breaker);
      }
      return breaker;
    },
    snapshots() {
      return [...breakers.values()].map((breaker) => breaker.snapshot());
    },
  };
}
