export {
  type BreakerPolicy,
  type BreakerRegistry,
  type BreakerSnapshot,
  type BreakerState,
  breakerOpenError,
  type CircuitBreaker,
  createBreakerRegistry,
  createCircuitBreaker,
  defaultBreakerPolicy,
  throughBreaker,
} from './circuit-breaker.ts';
export { type Clock, createManualClock, createSystemClock, type ManualClock } from './clock.ts';
export { createDeadlineSignal, type DeadlineSignal } from './deadline.ts';
export { type DnsFailureCause, DnsLookupError } from './dns-lookup-error.ts';
export {
  createResolver,
  defaultResolverTtl,
  type Resolution,
  type ResolutionSource,
  type Resolver,
  type ResolverOptions,
} from './dns-resolver.ts';
export { parseDnsServer } from './dns-server-address.ts';
export type { ResolvedAddress } from './dns-server-lookup.ts';
export { queryDns } from './dns-wire-client.ts';
export { extractFaultFacts, type FaultFacts } from './fault-facts.ts';
export {
  classifyFault,
  type FaultRule,
  type FaultVerdict,
  faultRules,
} from './fault-taxonomy.ts';
export {
  defaultHedgePolicy,
  type HedgePolicy,
  type HedgeResult,
  hedge,
  hedgeDelay,
  mostRelevantError,
} from './hedging.ts';
export { createLatencyWindow, createLatencyWindows, type LatencyWindow } from './latency-window.ts';
export { callUpstreams, type ResilientCallOptions, type UpstreamCall } from './resilient-call.ts';
export { defaultRetryPolicy, type RetryNotice, type RetryPolicy, withRetry } from './retry.ts';
export { parseRetryAfter } from './retry-after.ts';
export { createSingleFlight, type SingleFlight } from './single-flight.ts';
