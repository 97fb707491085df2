import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { parseConfig } from '../../src/config/load-config.ts';
import { BallastError } from '../../src/errors/ballast-error.ts';
import { buildIndex } from '../../src/mirror/index-build.ts';
import type { MirrorUpstream } from '../../src/mirror/mirror-upstream.ts';
import { createRepoMirror, type RepoMirror } from '../../src/mirror/repo-mirror.ts';
import type { Resilience } from '../../src/mirror/upstream-calls.ts';
import { createEventBus, type EventBus } from '../../src/observability/events.ts';
import { createLogger, type Logger } from '../../src/observability/logger.ts';
import { createBreakerRegistry } from '../../src/resilience/circuit-breaker.ts';
import { createSystemClock } from '../../src/resilience/clock.ts';
import { createLatencyWindows } from '../../src/resilience/latency-window.ts';
import { createMemoryStore } from '../../src/store/memory/memory-store.ts';
import type { Store } from '../../src/store/store.ts';
import type { IndexFetch, IndexValidators } from '../../src/upstream/classic-repo-client.ts';

// A mirrored repository in one process: a memory store, a clock the test moves, index builds
// run in-process, and upstreams that answer what the test says (no sockets).

export const sha256Hex = (bytes: Buffer | string) =>
  createHash('sha256').update(bytes).digest('hex');

/** Bytes that stand for the chart `demo-1.0.<i>.tgz` (the mirror never opens them). */
export const demoChart = (i: number) => Buffer.from(`demo chart 1.0.${i}`);

/**
 * An index of `versions` versions of the chart `demo` as JSON (Helm reads it), each with the
 * digest of `demoChart(i)`, or none with `digestless`.
 */
export function demoIndex(versions: number, options: { digestless?: boolean } = {}): string {
  const entries = Array.from({ length: versions }, (_, i) => ({
    apiVersion: 'v2',
    name: 'demo',
    version: `1.0.${i}`,
    urls: [`charts/demo-1.0.${i}.tgz`],
    ...(options.digestless ? {} : { digest: sha256Hex(demoChart(i)) }),
  }));
  return JSON.stringify({ apiVersion: 'v1', entries: { demo: entries } });
}

/** What the upstream's index answers next: a failure, a 304, or an index (`demoIndex`). */
export type Answer =
  | 'fail'
  | 'not-modified'
  | { versions: number; etag: string; digestless?: boolean };

export interface FakeUpstream extends MirrorUpstream {
  answer: Answer;
  /** Chart requests fail while set. */
  chartsFail: boolean;
  /** The validators each index request came with, in order. */
  readonly asked: (IndexValidators | undefined)[];
  /** The chart URLs asked for, in order. */
  readonly charts: string[];
}

const unreachable = (source: string) =>
  new BallastError('BALLAST_UPSTREAM_UNREACHABLE', { source, reason: 'connection refused' });

/** An upstream at `url` whose charts are `demoChart(i)`, stored the way a real client does. */
export function fakeUpstream(store: Store, url: string, answer: Answer): FakeUpstream {
  return {
    url,
    label: url,
    key: `${new URL(url).host}:443`,
    answer,
    chartsFail: false,
    asked: [],
    charts: [],
    async fetchIndex(validators): Promise<IndexFetch> {
      this.asked.push(validators);
      const now = this.answer;
      if (now === 'fail') throw unreachable(url);
      if (now === 'not-modified') return { kind: 'not-modified' };
      const body = Buffer.from(demoIndex(now.versions, now));
      return { kind: 'fetched', body: Readable.from([body]), validators: { etag: now.etag } };
    },
    async fetchChart(chartUrl, request) {
      this.charts.push(chartUrl);
      if (this.chartsFail) throw unreachable(url);
      const version = /demo-1\.0\.(\d+)\.tgz$/.exec(chartUrl)?.[1];
      return store.putBlob(Readable.from([demoChart(Number(version))]), {
        ...(request.digest ? { expectedDigest: request.digest } : {}),
        maxBytes: request.maxBytes,
        what: request.file,
        source: url,
      });
    },
    fetchSidecar: () => Promise.reject(unreachable(url)),
  };
}

export interface MirrorWorld {
  store: Store;
  bus: EventBus;
  /** The mirror's time (ms since the epoch); the test moves it. */
  clock: { t: number };
  /** A new mirror of the repository on this world's store, as a (re)started Ballast makes. */
  mirror(upstreams: FakeUpstream[]): RepoMirror;
}

/**
 * `repo` is one `repos[]` entry of the config, its upstream URLs those of the fakes; `store`
 * and `logger` replace the memory store and the silent logger.
 */
export function mirrorWorld(
  repo: Record<string, unknown>,
  options: { store?: Store; logger?: Logger } = {},
): MirrorWorld {
  const { config } = parseConfig(JSON.stringify({ repos: [repo] }), 'ballast.yaml');
  const repoConfig = config.repos[0] as (typeof config.repos)[number];
  const store = options.store ?? createMemoryStore();
  const bus = createEventBus();
  const clock = { t: Date.UTC(2026, 0, 1) };
  const system = createSystemClock();
  const resilience: Resilience = {
    clock: system,
    bus,
    breakers: createBreakerRegistry({
      clock: system,
      bus,
      policy: { failureThreshold: 1000, coolDownMs: 1 },
    }),
    latencies: createLatencyWindows(),
    deadlineMs: 5_000,
    retry: { maxAttempts: 1 },
    hedge: false,
  };
  const logger = options.logger ?? createLogger({ level: 'silent' });
  return {
    store,
    bus,
    clock,
    mirror: (upstreams) =>
      createRepoMirror({
        repo: repoConfig,
        upstreams,
        store,
        resilience,
        logger,
        limits: { chartSize: 1 << 20, provSize: 1 << 16 },
        now: () => clock.t,
        buildIndex,
      }),
  };
}

/** Gives a refresh that a request may have started behind it the time to reach the upstream. */
export const settled = () => new Promise((resolve) => setTimeout(resolve, 100));

/** Waits (five seconds unless told otherwise) for work running behind a request to finish. */
export async function until(done: () => boolean, what: string, seconds = 5): Promise<void> {
  for (let i = 0; i < seconds * 100; i++) {
    if (done()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}
