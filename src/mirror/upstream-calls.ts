import type { EventBus } from '../observability/events.ts';
import type { BreakerRegistry } from '../resilience/circuit-breaker.ts';
import type { Clock } from '../resilience/clock.ts';
import type { HedgePolicy } from '../resilience/hedging.ts';
import type { LatencyWindows } from '../resilience/latency-window.ts';
import { callUpstreams } from '../resilience/resilient-call.ts';
import type { RetryPolicy } from '../resilience/retry.ts';

/** What every upstream call of a running Ballast shares: one clock, breakers, latencies, policy. */
export interface Resilience {
  clock: Clock;
  breakers: BreakerRegistry;
  latencies: LatencyWindows;
  bus: EventBus;
  /** One client request, all upstreams and retries included. */
  deadlineMs: number;
  retry: Partial<RetryPolicy>;
  hedge: Partial<HedgePolicy> | false;
}

/** An upstream as the resilience layer sees it: a breaker and latency key, and its position. */
export interface UpstreamRef {
  /** host:port of the upstream: names its breaker, latency window and metrics. */
  key: string;
  position: number;
}

/** What a call fetches: `label` for logs; `repo` and `kind` (bounded) for metrics. */
export interface CallName {
  repo: string;
  kind: string;
  label: string;
}

/**
 * Runs `work` against the upstreams in order through retry, breakers and hedging, inside one
 * deadline; the first success wins. `signal` is the client's: when it goes away, so does the work.
 */
export async function firstSuccess<T>(
  resilience: Resilience,
  upstreams: readonly UpstreamRef[],
  name: CallName,
  work: (upstream: UpstreamRef, signal: AbortSignal) => Promise<T>,
  signal?: AbortSignal,
): Promise<{ value: T; upstream: UpstreamRef }> {
  const { clock } = resilience;
  const result = await callUpstreams(
    upstreams.map((upstream) => ({ key: upstream.key, run: ({ signal: s }) => work(upstream, s) })),
    {
      clock,
      deadline: clock.now() + resilience.deadlineMs,
      signal,
      method: 'GET',
      label: name.label,
      repo: name.repo,
      kind: name.kind,
      breakers: resilience.breakers,
      latencies: resilience.latencies,
      retry: resilience.retry,
      hedge: resilience.hedge,
      bus: resilience.bus,
    },
  );
  return { value: result.value, upstream: upstreams[result.winner] as UpstreamRef };
}
