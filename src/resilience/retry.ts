import { BallastError } from '../errors/ballast-error.ts';
import type { EventBus } from '../observability/events.ts';
import type { Clock } from './clock.ts';
import { createDeadlineSignal } from './deadline.ts';
import { classifyFault, type FaultVerdict } from './fault-taxonomy.ts';
import { parseRetryAfter, retryAfterOf } from './retry-after.ts';

/** How a request is retried; plain data, so config and docs can show it as it is. */
export interface RetryPolicy {
  /** Attempts in all, the first one included. */
  maxAttempts: number;
  /** Backoff before retry n (0-based) is random() × min(maxDelayMs, baseDelayMs × 2ⁿ). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** A `Retry-After` longer than this is shortened to it. */
  retryAfterCapMs: number;
  /** No retry starts unless this much time is left before the deadline after the wait. */
  minAttemptMs: number;
  /** Only these methods are retried; anything else gets exactly one attempt. */
  idempotentMethods: readonly string[];
}

export const defaultRetryPolicy: Readonly<RetryPolicy> = Object.freeze({
  maxAttempts: 4,
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  retryAfterCapMs: 10_000,
  minAttemptMs: 100,
  idempotentMethods: Object.freeze(['GET', 'HEAD', 'OPTIONS']),
});

export interface RetryAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  deadline: number;
  /** Aborts when the caller's signal aborts or when the deadline passes. */
  signal: AbortSignal;
}

export interface RetryNotice {
  upstream: string;
  /** The attempt that failed; the next one is attempt + 1. */
  attempt: number;
  cause: string;
  delayMs: number;
  /** The delay came from the upstream's `Retry-After`. */
  retryAfter: boolean;
  error: unknown;
}

export interface RetryOptions {
  clock: Clock;
  /** Absolute time on `clock` by which everything, waits included, must be over. */
  deadline: number;
  /** The client went away: stop at once, waits included. */
  signal?: AbortSignal;
  method?: string;
  policy?: Partial<RetryPolicy>;
  /** In [0, 1); injected so tests can pin the jitter. */
  random?: () => number;
  classify?: (error: unknown) => FaultVerdict;
  /** Narrows which transient faults are retried here, e.g. not NXDOMAIN when other upstreams exist. */
  shouldRetry?: (verdict: FaultVerdict, error: unknown) => boolean;
  /** Names the upstream in events and in the deadline error. */
  upstream?: string;
  bus?: EventBus;
  onRetry?: (notice: RetryNotice) => void;
}

/** Full jitter: spreads retries of many clients over the whole window instead of in waves. */
export function backoffDelay(
  retryIndex: number,
  policy: RetryPolicy,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retryIndex);
  return Math.floor(random() * ceiling);
}

/**
 * Runs `work` until it succeeds, a fault is permanent, the attempts are used up, or the next
 * attempt would not fit before the deadline. Rethrows the last error as it was, so callers
 * classify it the same way.
 */
export async function withRetry<T>(
  work: (attempt: RetryAttempt) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.policy };
  const { clock, deadline, signal } = options;
  const classify = options.classify ?? classifyFault;
  const shouldRetry = options.shouldRetry ?? ((verdict: FaultVerdict) => verdict.transient);
  const random = options.random ?? Math.random;
  const upstream = options.upstream ?? 'upstream';
  const idempotent = policy.idempotentMethods.includes((options.method ?? 'GET').toUpperCase());
  const startedAt = clock.now();

  for (let attempt = 1; ; attempt++) {
    if (signal?.aborted) throw signal.reason;
    const guard = createDeadlineSignal(clock, deadline, {
      parent: signal,
      reason: () =>
        new BallastError('BALLAST_UPSTREAM_TIMEOUT', {
          source: upstream,
          stage: 'deadline',
          ms: Math.round(deadline - startedAt),
        }),
    });
    try {
      return await work({ attempt, deadline, signal: guard.signal });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      // The deadline fired during the attempt: report that, not the abort it caused.
      if (guard.signal.aborted) throw guard.signal.reason;
      const verdict = classify(error);
      if (!idempotent || attempt >= policy.maxAttempts || !shouldRetry(verdict, error)) throw error;
      const planned = planWait(error, attempt - 1, policy, clock.now(), deadline, random);
      if (planned === undefined) throw error;
      const notice: RetryNotice = { upstream, attempt, cause: verdict.cause, error, ...planned };
      options.onRetry?.(notice);
      options.bus?.emit('upstream:retry', {
        upstream,
        attempt,
        cause: verdict.cause,
        delayMs: planned.delayMs,
        retryAfter: planned.retryAfter,
      });
      await clock.sleep(planned.delayMs, signal);
    } finally {
      guard.dispose();
    }
  }
}

function planWait(
  error: unknown,
  retryIndex: number,
  policy: RetryPolicy,
  now: number,
  deadline: number,
  random: () => number,
): { delayMs: number; retryAfter: boolean } | undefined {
  const room = deadline - now - policy.minAttemptMs;
  if (room < 0) return undefined;
  const asked = parseRetryAfter(retryAfterOf(error), now);
  if (asked !== undefined) {
    // The upstream said when; retrying sooner would be rude and likely refused again.
    const delayMs = Math.min(asked, policy.retryAfterCapMs);
    return delayMs <= room ? { delayMs, retryAfter: true } : undefined;
  }
  return { delayMs: Math.min(backoffDelay(retryIndex, policy, random), room), retryAfter: false };
}
