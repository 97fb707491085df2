import type { FileMirror } from '../../files/file-mirror.ts';
import type { ChartRepo } from '../../mirror/chart-repo.ts';
import type { ChartPulls, ServingStats } from '../../observability/serving-stats.ts';
import { historyStrip } from '../../probe/probe-history.ts';
import type { ProbedUpstream } from '../../probe/prober.ts';
import type { UpstreamHealth } from '../../probe/upstream-state.ts';
import { redact } from '../../upstream/http-client.ts';

/** What the status page and `/-/status` are made from. */
export interface StatusSource {
  upstreams(): readonly ProbedUpstream[];
  stats: ServingStats;
}

export interface UpstreamView {
  url: string;
  state: UpstreamHealth;
  stage: string | null;
  code: string | null;
  since: string;
  message: string | null;
  /** When the last probe finished; null before the first. */
  probedAt: string | null;
  certificateExpiresAt: string | null;
  /** The last 24 h in 48 half-hour slots, oldest first: the worst state seen, null if unprobed. */
  history: Array<UpstreamHealth | null>;
}

export interface RepoView {
  name: string;
  upstreams: UpstreamView[];
  index: {
    versions: number;
    /** Seconds since an upstream last confirmed the index; null before the first. */
    ageSeconds: number | null;
    stale: boolean;
    staleBecause: string | null;
  };
  guardRefusals: { count: number; last: { at: string; message: string } | null };
}

export interface StatusDocument {
  generatedAt: string;
  repos: RepoView[];
  files: Array<{ name: string; upstreams: UpstreamView[] }>;
  cache: {
    hits: number;
    misses: number;
    hitRatio: number | null;
    storedBytes: number | null;
    topCharts: ChartPulls[];
    upstreamRequests: ServingStats['upstreamRequests'];
  };
}

const iso = (ms: number) => new Date(ms).toISOString();

function upstreamView(probed: ProbedUpstream, now: number): UpstreamView {
  const { record } = probed;
  const { status } = record;
  return {
    url: redact(record.url),
    state: status.state,
    stage: status.stage ?? null,
    code: status.code ?? null,
    since: iso(status.since),
    message: status.message ?? null,
    probedAt: record.probedAt === undefined ? null : iso(record.probedAt),
    certificateExpiresAt:
      record.certificateExpiresAt === undefined ? null : iso(record.certificateExpiresAt),
    history: historyStrip(record.history, now),
  };
}

/** The status of every repository and file mirror, their upstreams, and the cache figures. */
export function statusDocument(
  mirrors: ReadonlyMap<string, ChartRepo>,
  files: ReadonlyMap<string, FileMirror>,
  source: StatusSource,
  now = Date.now(),
): StatusDocument {
  const bySubject = new Map<string, UpstreamView[]>();
  for (const probed of source.upstreams()) {
    const key = `${probed.target.subject.kind}/${probed.target.subject.name}`;
    const list = bySubject.get(key) ?? [];
    list.push(upstreamView(probed, now));
    bySubject.set(key, list);
  }
  const { stats } = source;
  const repos = [...mirrors.values()].map((mirror): RepoView => {
    const status = mirror.status();
    const refusals = stats.guardRefusals(mirror.name);
    return {
      name: mirror.name,
      upstreams: bySubject.get(`repo/${mirror.name}`) ?? [],
      index: {
        versions: status.versions,
        ageSeconds: status.checkedAt > 0 ? Math.round((now - status.checkedAt) / 1000) : null,
        stale: status.lastError !== undefined && status.checkedAt > 0,
        staleBecause: status.lastError ?? null,
      },
      guardRefusals: {
        count: refusals.count,
        last: refusals.last ? { at: iso(refusals.last.at), message: refusals.last.message } : null,
      },
    };
  });
  const total = stats.hits + stats.misses;
  return {
    generatedAt: iso(now),
    repos,
    files: [...files.keys()].map((name) => ({
      name,
      upstreams: bySubject.get(`file/${name}`) ?? [],
    })),
    cache: {
      hits: stats.hits,
      misses: stats.misses,
      hitRatio: total > 0 ? stats.hits / total : null,
      storedBytes: stats.storedBytes() ?? null,
      topCharts: stats.topCharts(10),
      upstreamRequests: { ...stats.upstreamRequests },
    },
  };
}
