import { EventEmitter } from 'node:events';

/**
 * Named events that modules emit and that metrics and logs subscribe to. Adding an
 * event means adding its payload here; emitters and subscribers are then type-checked.
 */
export interface BallastEvents {
  'http:response': { route: string; method: string; status: number; durationMs: number };
  /** The client hung up before its answer was complete. */
  'http:client-gone': { route: string };
  /** The HTTP parser refused a connection's bytes (headers too large or too slow, not HTTP). */
  'http:client-error': { code: string };
  /** A connection closed at once because `server.maxConnections` were open. */
  'http:connection-dropped': Record<string, never>;
  /** A store write failed because the disk is full. */
  'store:full': { path: string; reason: string };
  /** `chart` names the chart of a chart pull (either face), for per-chart pull counts. */
  'cache:hit': { repo: string; kind: 'chart' | 'prov' | 'index' | 'file'; chart?: string };
  'cache:miss': { repo: string; kind: 'chart' | 'prov' | 'index' | 'file'; chart?: string };
  'upstream:request': {
    upstream: string;
    kind: string;
    outcome: 'ok' | 'not-modified' | 'error';
    durationMs: number;
    cause?: string;
    /** The upstream's HTTP status, when it answered one that failed the request. */
    status?: number | undefined;
  };
  'index:updated': { repo: string; upstream: string; versions: number; bytes: number };
  'index:unchanged': { repo: string; upstream: string };
  'index:refresh-failed': { repo: string; upstream: string; code: string; message: string };
  'index:stale-served': { repo: string; ageMs: number };
  /**
   * A revalidation failed while a last good index is kept: the repository is stale, whether or
   * not a client is asking. `ageMs` is the time since an upstream last confirmed the index.
   */
  'index:stale': { repo: string; ageMs: number; code: string; message: string };
  'guard:refused': { repo: string; upstream: string; reason: string; message: string };
  'chart:stored': { repo: string; file: string; digest: string; bytes: number };
  'chart:rejected': { repo: string; file: string; code: string; message: string };
  'index:entry-skipped': { repo: string; chart: string; version: string; reason: string };
  /** Ballast changed an upstream entry so that Helm reads it (see src/helm/index-repairs.ts). */
  'index:entry-repaired': {
    repo: string;
    chart: string;
    version: string;
    kind: string;
    detail: string;
  };
  /** An entry without a digest got the sha256 of its first download (`unverified: pin`). */
  'chart:pinned': { repo: string; file: string; digest: string; pinned: number };
  // resilience (src/resilience): retries, breakers, hedging, Ballast's own DNS
  'upstream:retry': {
    upstream: string;
    attempt: number;
    cause: string;
    delayMs: number;
    retryAfter: boolean;
  };
  'breaker:state': {
    key: string;
    from: 'closed' | 'open' | 'half-open';
    to: 'closed' | 'open' | 'half-open';
    consecutiveFailures: number;
    cause?: string;
  };
  /** `label` names the object (logs); `repo` and `kind` are bounded (metrics). */
  'hedge:fired': {
    repo: string;
    kind: string;
    label: string;
    index: number;
    reason: 'delay' | 'failure';
  };
  'hedge:won': { repo: string; kind: string; label: string; index: number; started: number };
  // client authentication (src/auth)
  /** Credentials were sent and refused; the client's address, never the credentials. */
  'auth:failed': { scheme: string; reason: 'invalid' | 'throttled'; address: string };
  /**
   * A write to a hosted repository (upload, push, delete), for the audit log: who (a user or
   * token name), what, the digest Ballast computed, and from which address.
   */
  'audit:write': {
    who: string;
    action: 'upload' | 'push' | 'delete';
    repo: string;
    name: string;
    version?: string;
    digest?: string;
    address: string;
  };
  'dns:stale': { hostname: string; ageMs: number; cause: string };
  'dns:lookup-failed': { hostname: string; cause: string; servedFrom: 'stale' | 'static' | 'none' };
  // file mirrors (src/files): `repo` of cache:hit/miss names the file mirror for kind 'file'
  'file:stored': { mirror: string; path: string; digest: string; bytes: number; upstream: string };
  /** One upstream's copy refused (digest mismatch, malformed checksum file); the next is tried. */
  'file:rejected': {
    mirror: string;
    path: string;
    upstream: string;
    code: string;
    message: string;
  };
  'file:stale-served': { mirror: string; path: string; ageMs: number; code: string };
  // upstream probes (src/probe): `subject` is a repository or a file mirror
  'probe:finished': {
    subject: { kind: 'repo' | 'file'; name: string };
    upstream: string;
    /** What this probe saw, before hysteresis. */
    observed: 'healthy' | 'degraded' | 'down';
    /** The upstream's state after this probe. */
    state: 'healthy' | 'degraded' | 'down';
    since: number;
    stage?: string;
    code?: string;
    message?: string;
    stages: Array<{ stage: string; status: string; durationMs: number }>;
    certificateExpiresAt?: number;
  };
  'probe:state-changed': {
    subject: { kind: 'repo' | 'file'; name: string };
    upstream: string;
    state: 'healthy' | 'degraded' | 'down';
    previous: 'healthy' | 'degraded' | 'down';
    since: number;
    stage?: string;
    code?: string;
    message?: string;
  };
  'alert:delivered': { webhook: string; event: string; attempts: number };
  'alert:failed': { webhook: string; event: string; attempts: number; cause: string };
}

export type EventName = keyof BallastEvents;

export interface EventBus {
  emit<E extends EventName>(name: E, payload: BallastEvents[E]): void;
  on<E extends EventName>(name: E, listener: (payload: BallastEvents[E]) => void): () => void;
}

export function createEventBus(): EventBus {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(100);
  return {
    emit(name, payload) {
      emitter.emit(name, payload);
    },
    on(name, listener) {
      emitter.on(name, listener as (payload: unknown) => void);
      return () => emitter.off(name, listener as (payload: unknown) => void);
    },
  };
}
