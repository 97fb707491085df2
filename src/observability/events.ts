import { EventEmitter } from 'node:events';

/**
 * Named events that modules emit and that metrics and logs subscribe to. Adding an
 * event means adding its payload here; emitters and subscribers are then type-checked.
 */
export interface BallastEvents {
  'http:response': { route: string; method: string; status: number; durationMs: number };
  'cache:hit': { repo: string; kind: 'chart' | 'prov' | 'index' | 'file' };
  'cache:miss': { repo: string; kind: 'chart' | 'prov' | 'index' | 'file' };
  'upstream:request': {
    upstream: string;
    kind: string;
    outcome: 'ok' | 'not-modified' | 'error';
    durationMs: number;
    cause?: string;
  };
  'index:updated': { repo: string; upstream: string; versions: number; bytes: number };
  'index:unchanged': { repo: string; upstream: string };
  'index:refresh-failed': { repo: string; upstream: string; code: string; message: string };
  'index:stale-served': { repo: string; ageMs: number };
  'guard:refused': { repo: string; upstream: string; reason: string; message: string };
  'chart:stored': { repo: string; file: string; digest: string; bytes: number };
  'chart:rejected': { repo: string; file: string; code: string; message: string };
  'index:entry-skipped': { repo: string; chart: string; version: string; reason: string };
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
  'hedge:fired': { label: string; index: number; reason: 'delay' | 'failure' };
  'hedge:won': { label: string; index: number; started: number };
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
