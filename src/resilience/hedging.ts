import type { EventBus } from '../observability/events.ts';
import type { Clock } from './clock.ts';
import { classifyFault, type FaultVerdict } from './fault-taxonomy.ts';
import type { LatencyWindow } from './latency-window.ts';

export interface HedgePolicy {
  /** Never hedge sooner than this: below it a second request costs more than it saves. */
  floorMs: number;
  /** Never wait longer than this for a slow upstream before asking the next one. */
  ceilingMs: number;
  /** Fewer samples than this and the p95 means little: use coldDelayMs instead. */
  minSamples: number;
  coldDelayMs: number;
}

export const defaultHedgePolicy: Readonly<HedgePolicy> = Object.freeze({
  floorMs: 100,
  ceilingMs: 1_000,
  minSamples: 5,
  coldDelayMs: 500,
});

/** How long to give an upstream before hedging: its recent p95, clamped to [floor, ceiling]. */
export function hedgeDelay(
  window: LatencyWindow | undefined,
  policy: HedgePolicy = defaultHedgePolicy,
): number {
  const p95 = window && window.size >= policy.minSamples ? window.percentile(95) : undefined;
  const wanted = p95 ?? policy.coldDelayMs;
  return Math.min(policy.ceilingMs, Math.max(policy.floorMs, wanted));
}

export interface HedgeAttemptContext {
  index: number;
  /** Aborts when another attempt has won, or when the caller's signal aborts. */
  signal: AbortSignal;
}

export type HedgeAttempt<T> = (context: HedgeAttemptContext) => Promise<T>;

export interface HedgeOptions {
  /** How long attempt `index` may run alone before attempt `index + 1` starts as well. */
  delayFor(index: number): number;
  clock: Clock;
  signal?: AbortSignal;
  /** Names what is fetched, in events for logs (e.g. 'repo/index.yaml'). */
  label?: string;
  /** The repository (or file mirror) and kind of object: bounded names, for metrics. */
  repo?: string;
  kind?: string;
  bus?: EventBus;
  classify?: (error: unknown) => FaultVerdict;
}

export interface HedgeResult<T> {
  value: T;
  /** Index of the attempt that answered first. */
  winner: number;
  /** How many attempts were started in all. */
  started: number;
}

/**
 * Starts attempt 0; whenever the newest attempt has not settled within its delay, or has
 * failed, starts the next one too. The first success wins and aborts the rest. When all
 * fail, throws the most relevant error (see mostRelevantError).
 */
export function hedge<T>(
  attempts: readonly HedgeAttempt<T>[],
  options: HedgeOptions,
): Promise<HedgeResult<T>> {
  if (attempts.length === 0)
    return Promise.reject(new RangeError('hedge needs at least one attempt'));
  const { clock, signal, bus } = options;
  const label = options.label ?? '';
  const repo = options.repo ?? '';
  const kind = options.kind ?? '';
  const classify = options.classify ?? classifyFault;
  const controllers: AbortController[] = [];
  const errors: unknown[] = [];
  let running = 0;
  let timer: AbortController | undefined;
  let done = false;

  return new Promise<HedgeResult<T>>((resolve, reject) => {
    const finish = (outcome: () => void, abortReason: unknown) => {
      done = true;
      timer?.abort();
      signal?.removeEventListener('abort', onAbort);
      for (const controller of controllers) controller.abort(abortReason);
      outcome();
    };
    const onAbort = () => finish(() => reject(signal?.reason), signal?.reason);

    const armTimer = (index: number) => {
      timer?.abort();
      if (controllers.length >= attempts.length) return;
      const delay = options.delayFor(index);
      if (!Number.isFinite(delay)) return; // never hedge this one; only its failure moves on
      const own = new AbortController();
      timer = own;
      clock.sleep(delay, own.signal).then(
        () => {
          if (!done && timer === own) start('delay');
        },
        () => {},
      );
    };

    const start = (reason: 'first' | 'delay' | 'failure') => {
      const index = controllers.length;
      const attempt = attempts[index];
      if (done || !attempt) return;
      const controller = new AbortController();
      controllers.push(controller);
      running++;
      if (reason !== 'first') bus?.emit('hedge:fired', { repo, kind, label, index, reason });
      armTimer(index);
      new Promise<T>((settle) => settle(attempt({ index, signal: controller.signal }))).then(
        (value) => {
          running--;
          if (done) return;
          const started = controllers.length;
          bus?.emit('hedge:won', { repo, kind, label, index, started });
          finish(() => resolve({ value, winner: index, started }), new HedgeLostError(index));
        },
        (error: unknown) => {
          running--;
          if (done) return;
          errors[index] = error;
          if (controllers.length < attempts.length) start('failure');
          else if (running === 0) {
            finish(() => reject(mostRelevantError(errors, classify)), undefined);
          }
        },
      );
    };

    if (signal?.aborted) return reject(signal.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    start('first');
  });
}

/** The reason losers are aborted with, so they can tell "lost the race" from "client gone". */
export class HedgeLostError extends Error {
  // Looks like any other abort to the taxonomy and the breaker: it says nothing of the host.
  readonly code = 'ABORT_ERR';
  constructor(winner: number) {
    super(`attempt ${winner} answered first`);
    this.name = 'AbortError';
  }
}

/**
 * The error to report when every attempt failed: the first transient one in attempt order if
 * any, else the first. A transient fault says "this may work in a moment", which is truer for
 * the request as a whole than another upstream's 404 or bad digest; and it leaves a retry
 * around the hedge free to try again.
 */
export function mostRelevantError(
  errors: readonly unknown[],
  classify: (error: unknown) => FaultVerdict = classifyFault,
): unknown {
  return errors.find((error) => classify(error).transient) ?? errors[0];
}
