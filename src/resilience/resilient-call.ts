import type { EventBus } from '../observability/events.ts';
import type { BreakerRegistry } from './circuit-breaker.ts';
import { breakerOpenError } from './circuit-breaker.ts';
import type { Clock } from './clock.ts';
import { classifyFault } from './fault-taxonomy.ts';
import {
  defaultHedgePolicy,
  type HedgePolicy,
  type HedgeResult,
  hedge,
  hedgeDelay,
} from './hedging.ts';
import type { LatencyWindows } from './latency-window.ts';
import { type RetryPolicy, withRetry } from './retry.ts';

/** One way to get the thing: one upstream, in the order the repo lists them. */
export interface UpstreamCall<T> {
  /** The upstream's host: names its breaker, its latency window and its events. */
  key: string;
  run(context: { signal: AbortSignal; attempt: number }): Promise<T>;
}

export interface ResilientCallOptions {
  clock: Clock;
  /** Absolute time on `clock` for the whole call: every upstream, retry and wait. */
  deadline: number;
  /** The client's request: when it goes away, everything stops. */
  signal?: AbortSignal;
  method?: string;
  /** Names what is fetched in hedge events, e.g. 'bitnami/index.yaml'. */
  label?: string;
  /** Repository and kind of object, for metrics (whose labels must stay few). */
  repo?: string;
  kind?: string;
  breakers: BreakerRegistry;
  latencies: LatencyWindows;
  retry?: Partial<RetryPolicy>;
  /** false: never ask the next upstream before the current one has failed. */
  hedge?: Partial<HedgePolicy> | false;
  bus?: EventBus;
  random?: () => number;
}

/**
 * The resilience wrappers composed around ordered upstreams. Each upstream is skipped at once
 * while its breaker is open, else retried on its own inside the shared deadline; the next
 * upstream is started when the current one fails for good, is skipped, hits NXDOMAIN while
 * another upstream exists, or is slower than its recent p95 (hedging). The first success wins.
 */
export function callUpstreams<T>(
  calls: readonly UpstreamCall<T>[],
  options: ResilientCallOptions,
): Promise<HedgeResult<T>> {
  const { clock, breakers, latencies, bus } = options;
  const hedgePolicy =
    options.hedge === false ? undefined : { ...defaultHedgePolicy, ...options.hedge };

  const attempts = calls.map((call, index) => {
    const hasNext = index < calls.length - 1;
    // The breaker judges the upstream once per call (after its retries), not per attempt:
    // else one cold start that retries NXDOMAIN for a few seconds (incident B) would open
    // its own breaker and lock the name out for a whole cool-down.
    return async ({ signal }: { signal: AbortSignal }) => {
      const breaker = breakers.get(call.key);
      if (!breaker.tryAcquire()) throw breakerOpenError(call.key);
      // The last transient fault this upstream gave before it was cut off: a hedge that won
      // elsewhere must not hide that this host is failing, or a dead first upstream would
      // never open its breaker (every call pays the hedge delay instead).
      let lastFault: unknown;
      try {
        const value = await withRetry(
          async ({ signal: attemptSignal, attempt }) => {
            const startedAt = clock.now();
            const value = await call.run({ signal: attemptSignal, attempt });
            latencies.get(call.key).record(clock.now() - startedAt);
            return value;
          },
          {
            clock,
            deadline: options.deadline,
            signal,
            method: options.method,
            policy: options.retry,
            random: options.random,
            upstream: call.key,
            bus,
            onRetry: (notice) => {
              lastFault = notice.error;
            },
            shouldRetry: (verdict) =>
              verdict.transient && !(verdict.tryNextUpstreamFirst && hasNext),
          },
        );
        breaker.recordSuccess();
        return value;
      } catch (error) {
        const cutOff = classifyFault(error).cause === 'aborted';
        breaker.recordFailure(cutOff && lastFault !== undefined ? lastFault : error);
        throw error;
      }
    };
  });

  return hedge(attempts, {
    clock,
    signal: options.signal,
    label: options.label,
    repo: options.repo,
    kind: options.kind,
    bus,
    delayFor: (index) => {
      const call = calls[index];
      if (!hedgePolicy || !call) return Number.POSITIVE_INFINITY;
      return hedgeDelay(latencies.get(call.key), hedgePolicy);
    },
  });
}
