import type { RepoConfig } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/store.ts';
import { createChartPins } from './chart-pins.ts';
import { createChartPull } from './chart-pull.ts';
import type { ChartRepo } from './chart-repo.ts';
import type { IndexBuildJob, IndexBuildResult } from './index-build.ts';
import { checkView } from './index-view.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import { createRepoIndex } from './repo-index.ts';
import { runIndexBuild } from './run-index-build.ts';
import type { Resilience } from './upstream-calls.ts';

export type { IndexView } from './chart-repo.ts';

export interface RepoMirrorOptions {
  repo: RepoConfig;
  /** One client per configured upstream, in the configured order. */
  upstreams: readonly MirrorUpstream[];
  store: Store;
  resilience: Resilience;
  logger: Logger;
  limits: { chartSize: number; provSize: number };
  now?: () => number;
  /** Set when replicas share the store: this one's name in refresh leases. */
  replica?: string;
  /** Where index builds run; a child process unless a test says otherwise. */
  buildIndex?: (job: IndexBuildJob) => Promise<IndexBuildResult>;
}

/** A mirrored repository: a ChartRepo whose charts come from its upstreams. */
export type RepoMirror = ChartRepo;

/**
 * One mirrored repository behind a small façade: its index lifecycle (repo-index.ts), and
 * charts, provenance and OCI manifests pulled through from its upstreams (chart-pull.ts),
 * with the digests pinned on first fetch (`unverified: pin`) shared between the two.
 */
export function createRepoMirror(options: RepoMirrorOptions): RepoMirror {
  const { repo, store, resilience } = options;
  const logger = options.logger.child({ repo: repo.name });
  const pins = createChartPins({ repo: repo.name, store, bus: resilience.bus });
  const runBuild = options.buildIndex ?? runIndexBuild;
  const lifecycle = createRepoIndex({
    repo,
    upstreams: options.upstreams,
    store,
    resilience,
    logger,
    now: options.now ?? Date.now,
    // Every build applies the repository's digest policy and the digests pinned so far.
    runBuild: (job) => runBuild({ ...job, unverified: repo.unverified, pins: pins.all() }),
    // Called by refreshes only, once `pull` below exists.
    isChartStored: (digest) => pull.isStored(digest),
    ...(options.replica ? { replica: options.replica } : {}),
  });
  const pull = createChartPull({
    repo: repo.name,
    store,
    resilience,
    limits: options.limits,
    upstreams: lifecycle.upstreams,
    index: lifecycle.index,
    pins,
    pinned: () => void lifecycle.servePins(() => pins.size),
  });

  return {
    name: repo.name,
    views: new Map(repo.views.map(({ name, ...view }) => [name, checkView(view)])),

    async load() {
      await pins
        .load()
        .catch((error: unknown) =>
          logger.warn({ err: error }, 'unreadable pins: digest-less charts are pinned afresh'),
        );
      await lifecycle.load();
    },
    index: lifecycle.index,
    refresh: lifecycle.refresh,
    status: () => ({
      ...lifecycle.status(),
      ...(repo.unverified === 'pin' ? { pinned: pins.size } : {}),
    }),
    chart: pull.chart,
    provenance: pull.provenance,
    upstreamManifest: pull.upstreamManifest,
  };
}
