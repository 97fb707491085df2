import type { StageSettings, StagesOutcome } from '../doctor/upstream/run-stages.ts';
import { runStages } from '../doctor/upstream/run-stages.ts';
import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/store.ts';
import { appendObservation } from './probe-history.ts';
import { loadRecord, type ProbeRecord, saveRecord } from './probe-record.ts';
import type { ProbeTarget } from './probe-targets.ts';
import { initialStatus, nextStatus, observe } from './upstream-state.ts';

export interface ProberOptions {
  targets: readonly ProbeTarget[];
  settings: StageSettings;
  intervalMs: number;
  store: Store;
  bus: EventBus;
  logger: Logger;
  now?: () => number;
  random?: () => number;
  /** The stages to run; the real ones unless a test says otherwise. */
  run?: (target: ProbeTarget, settings: StageSettings) => Promise<StagesOutcome>;
}

export interface ProbedUpstream {
  target: ProbeTarget;
  record: ProbeRecord;
  /** When the record was last written to the store. */
  savedAt?: number;
}

export interface Prober {
  /** Loads the records of the last run, then probes every upstream on its own schedule. */
  start(): Promise<void>;
  /** Every upstream with its current record, in config order. */
  upstreams(): readonly ProbedUpstream[];
  stop(): void;
}

/** ±10% around the interval, so a hundred upstreams are not all probed in the same second. */
const jitter = 0.1;
/**
 * Probes running at once across all upstreams. A first probe downloads and parses a whole
 * index (later ones are conditional GETs answered 304): a hundred of those at once would
 * hold a hundred bodies in memory and keep the event loop from serving. Enough slots that a
 * few blackholed upstreams, each holding one until its timeout, do not starve the rest.
 */
const maxConcurrentProbes = 8;
/**
 * A probe that only extends the current history run is written to the store at most this
 * often; a change of state, reason or run is written at once. A restart loses at most this
 * much of the end of a run, and a hundred upstreams do not mean a hundred writes a minute.
 */
const quietWriteEveryMs = 5 * 60_000;

/**
 * Probes each upstream on an interval, one probe in flight per upstream (the next is only
 * scheduled once the last has finished), and keeps its state, history and last good index
 * in the store so a restart loses nothing.
 */
export function createProber(options: ProberOptions): Prober {
  const { settings, store, bus, intervalMs } = options;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const run = options.run ?? ((target, stageSettings) => runStages(target.target, stageSettings));
  const logger = options.logger.child({ module: 'probe' });
  const entries: ProbedUpstream[] = options.targets.map((target) => ({
    target,
    record: { url: target.url, status: initialStatus(now()), history: [] },
  }));
  const timers = new Set<NodeJS.Timeout>();
  const waiting: Array<() => void> = [];
  let running = 0;
  let stopped = false;

  async function withSlot<T>(work: () => Promise<T>): Promise<T> {
    if (running >= maxConcurrentProbes) await new Promise<void>((go) => waiting.push(go));
    running++;
    try {
      return await work();
    } finally {
      running--;
      waiting.shift()?.();
    }
  }

  function schedule(entry: ProbedUpstream, delayMs: number) {
    if (stopped) return;
    const timer = setTimeout(() => {
      timers.delete(timer);
      withSlot(() => probe(entry)).finally(() =>
        schedule(entry, intervalMs * (1 - jitter + 2 * jitter * random())),
      );
    }, delayMs);
    timer.unref();
    timers.add(timer);
  }

  async function probe(entry: ProbedUpstream): Promise<void> {
    const { target } = entry;
    const previous = entry.record;
    let outcome: StagesOutcome;
    try {
      outcome = await run(target, stageSettingsFor(previous, target));
    } catch (error) {
      logger.error({ err: error, upstream: target.url }, 'probe failed to run');
      return;
    }
    if (stopped) return;
    const seen = observe(outcome.stages, now());
    const { status, changed } = nextStatus(previous.status, seen);
    const record: ProbeRecord = {
      url: target.url,
      status,
      history: appendObservation(previous.history, seen),
      probedAt: seen.at,
    };
    const certificateExpiresAt = outcome.certificateExpiresAt ?? previous.certificateExpiresAt;
    if (certificateExpiresAt !== undefined) record.certificateExpiresAt = certificateExpiresAt;
    const payload = outcome.stages.find((s) => s.stage === 'payload');
    if (outcome.versions !== undefined && payload?.status === 'ok') {
      record.lastGood = { versions: outcome.versions, ...outcome.validators };
    } else if (previous.lastGood) record.lastGood = previous.lastGood;
    entry.record = record;
    emit(entry, seen.health, outcome, changed ? previous.status.state : undefined);
    if (!worthWriting(previous, record, entry.savedAt)) return;
    entry.savedAt = seen.at;
    await saveRecord(store, target, record).catch((error: unknown) =>
      logger.warn({ err: error, upstream: target.url }, 'could not keep the probe record'),
    );
  }

  function worthWriting(before: ProbeRecord, after: ProbeRecord, savedAt: number | undefined) {
    if (savedAt === undefined || now() - savedAt >= quietWriteEveryMs) return true;
    const { status } = after;
    return (
      status.state !== before.status.state ||
      status.code !== before.status.code ||
      status.pending?.health !== before.status.pending?.health ||
      after.history.at(-1)?.from !== before.history.at(-1)?.from ||
      after.lastGood?.etag !== before.lastGood?.etag ||
      after.lastGood?.lastModified !== before.lastGood?.lastModified
    );
  }

  function stageSettingsFor(record: ProbeRecord, target: ProbeTarget): StageSettings {
    if (!record.lastGood || target.maxShrink === undefined) return settings;
    const { versions, etag, lastModified } = record.lastGood;
    return {
      ...settings,
      previous: { versions, maxShrink: target.maxShrink },
      conditional: { ...(etag ? { etag } : {}), ...(lastModified ? { lastModified } : {}) },
    };
  }

  function emit(
    entry: ProbedUpstream,
    observed: 'healthy' | 'degraded' | 'down',
    outcome: StagesOutcome,
    previousState: 'healthy' | 'degraded' | 'down' | undefined,
  ) {
    const { status } = entry.record;
    const reason = {
      ...(status.stage ? { stage: status.stage } : {}),
      ...(status.code ? { code: status.code } : {}),
      ...(status.message ? { message: status.message } : {}),
    };
    const base = { subject: entry.target.subject, upstream: entry.target.url };
    bus.emit('probe:finished', {
      ...base,
      observed,
      state: status.state,
      since: status.since,
      ...reason,
      stages: outcome.stages.map((s) => ({
        stage: s.stage,
        status: s.status,
        durationMs: s.durationMs,
      })),
      ...(entry.record.certificateExpiresAt === undefined
        ? {}
        : { certificateExpiresAt: entry.record.certificateExpiresAt }),
    });
    if (previousState !== undefined) {
      bus.emit('probe:state-changed', {
        ...base,
        state: status.state,
        previous: previousState,
        since: status.since,
        ...reason,
      });
    }
  }

  return {
    async start() {
      await Promise.all(
        entries.map(async (entry) => {
          const record = await loadRecord(store, entry.target).catch(() => undefined);
          if (record) entry.record = record;
        }),
      );
      // Spread over the first interval, so that a restart does not probe everything at once.
      for (const entry of entries) schedule(entry, random() * intervalMs);
    },
    upstreams: () => entries,
    stop() {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
