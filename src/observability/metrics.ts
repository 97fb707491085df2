import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus } from './events.ts';
import { registerServerMetrics } from './server-metrics.ts';

export interface RepoGauges {
  name: string;
  status(): { versions: number; checkedAt: number; pinned?: number; lastError?: string };
}

/** Prometheus metrics, fed by events; one registry per running Ballast. */
export function createMetrics(bus: EventBus, repos: () => readonly RepoGauges[]): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ballast_' });
  const registers = [registry];

  const httpRequests = new Counter({
    name: 'ballast_http_requests_total',
    help: 'HTTP requests served, by route and status.',
    labelNames: ['route', 'method', 'status'],
    registers,
  });
  const httpDuration = new Histogram({
    name: 'ballast_http_request_duration_seconds',
    help: 'Time to answer an HTTP request.',
    labelNames: ['route'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15],
    registers,
  });
  const cache = new Counter({
    name: 'ballast_cache_requests_total',
    help: 'Lookups of cached content, by result (hit or miss).',
    labelNames: ['repo', 'kind', 'result'],
    registers,
  });
  const upstreamRequests = new Counter({
    name: 'ballast_upstream_requests_total',
    help: 'Requests to upstreams, by outcome (ok, not-modified, error) and cause of errors.',
    labelNames: ['upstream', 'kind', 'outcome', 'cause'],
    registers,
  });
  const upstreamDuration = new Histogram({
    name: 'ballast_upstream_request_duration_seconds',
    help: 'Time until an upstream answered with headers.',
    labelNames: ['upstream', 'kind'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15, 60],
    registers,
  });
  const guardRefusals = new Counter({
    name: 'ballast_guard_refusals_total',
    help: 'Upstream indexes the guard refused to take over the last good one.',
    labelNames: ['repo', 'reason'],
    registers,
  });
  const staleServed = new Counter({
    name: 'ballast_index_stale_served_total',
    help: 'Index responses served from the last good copy because the upstream failed.',
    labelNames: ['repo'],
    registers,
  });
  const refreshFailures = new Counter({
    name: 'ballast_index_refresh_failures_total',
    help: 'Index revalidations that failed (upstream error, truncated body, refused by the guard).',
    labelNames: ['repo', 'code'],
    registers,
  });
  const skippedEntries = new Counter({
    name: 'ballast_index_entries_skipped_total',
    help: 'Upstream index entries skipped because Helm would skip them or they cannot be verified.',
    labelNames: ['repo'],
    registers,
  });
  const chartsRejected = new Counter({
    name: 'ballast_charts_rejected_total',
    help: 'Chart downloads refused (digest mismatch, size limit, host not allowed, upstream error).',
    labelNames: ['repo', 'code'],
    registers,
  });
  const retries = new Counter({
    name: 'ballast_upstream_retries_total',
    help: 'Upstream requests retried, by upstream (host:port) and cause.',
    labelNames: ['upstream', 'cause'],
    registers,
  });
  const breakerState = new Gauge({
    name: 'ballast_breaker_state',
    help: 'Circuit breaker per upstream: 0 closed, 1 half-open, 2 open.',
    labelNames: ['upstream'],
    registers,
  });
  const breakerTransitions = new Counter({
    name: 'ballast_breaker_transitions_total',
    help: 'Circuit breaker state changes, by the state entered.',
    labelNames: ['upstream', 'to'],
    registers,
  });
  const repairedEntries = new Counter({
    name: 'ballast_index_entries_repaired_total',
    help: 'Upstream index entries Ballast changed so that Helm reads them, by kind of repair.',
    labelNames: ['repo', 'kind'],
    registers,
  });
  new Gauge({
    name: 'ballast_index_entries_pinned',
    help: 'Entries without an upstream digest whose first-fetched sha256 is pinned (unverified: pin).',
    labelNames: ['repo'],
    registers,
    collect() {
      this.reset();
      for (const repo of repos()) {
        const { pinned } = repo.status();
        if (pinned !== undefined) this.set({ repo: repo.name }, pinned);
      }
    },
  });
  const hedgesFired = new Counter({
    name: 'ballast_hedges_fired_total',
    help: 'Requests to a next upstream started while an earlier one was still slow or had failed.',
    labelNames: ['repo', 'kind'],
    registers,
  });
  const hedgesWon = new Counter({
    name: 'ballast_hedges_won_total',
    help: 'Hedged requests answered first by a later upstream (index = its position).',
    labelNames: ['repo', 'kind', 'index'],
    registers,
  });
  const authFailures = new Counter({
    name: 'ballast_auth_failures_total',
    help: 'Client credentials refused, by reason (invalid, throttled).',
    labelNames: ['reason'],
    registers,
  });
  bus.on('auth:failed', ({ reason }) => authFailures.inc({ reason }));
  const dnsStale = new Counter({
    name: 'ballast_dns_stale_answers_total',
    help: 'Lookups answered with last known addresses because DNS failed.',
    labelNames: ['hostname'],
    registers,
  });
  const dnsFailures = new Counter({
    name: 'ballast_dns_lookup_failures_total',
    help: 'DNS lookups that failed, by cause.',
    labelNames: ['hostname', 'cause'],
    registers,
  });
  new Gauge({
    name: 'ballast_index_age_seconds',
    help: 'Seconds since the upstream last confirmed the index served for a repository.',
    labelNames: ['repo'],
    registers,
    collect() {
      this.reset();
      for (const repo of repos()) {
        const { checkedAt } = repo.status();
        if (checkedAt > 0) this.set({ repo: repo.name }, (Date.now() - checkedAt) / 1000);
      }
    },
  });
  new Gauge({
    name: 'ballast_index_stale',
    help: 'Whether the last revalidation of a repository index failed and the last good copy is served: 1 stale, 0 fresh.',
    labelNames: ['repo'],
    registers,
    collect() {
      this.reset();
      for (const repo of repos()) {
        const { checkedAt, lastError } = repo.status();
        if (checkedAt > 0) this.set({ repo: repo.name }, lastError === undefined ? 0 : 1);
      }
    },
  });
  new Gauge({
    name: 'ballast_index_versions',
    help: 'Chart versions in the index served for a repository.',
    labelNames: ['repo'],
    registers,
    collect() {
      this.reset();
      for (const repo of repos()) this.set({ repo: repo.name }, repo.status().versions);
    },
  });

  // The hottest path of all: label lookups are done once per route, method and status.
  const requestSeries = new Map<
    string,
    { count: Counter.Internal; duration: Histogram.Internal<string> }
  >();
  bus.on('http:response', ({ route, method, status, durationMs }) => {
    const key = `${route} ${method} ${status}`;
    let series = requestSeries.get(key);
    if (!series) {
      series = {
        count: httpRequests.labels({ route, method, status }),
        duration: httpDuration.labels({ route }),
      };
      requestSeries.set(key, series);
    }
    series.count.inc();
    series.duration.observe(durationMs / 1000);
  });
  const cacheSeries = new Map<string, Counter.Internal>();
  const countCache = (repo: string, kind: string, result: string) => {
    const key = `${repo} ${kind} ${result}`;
    let series = cacheSeries.get(key);
    if (!series) {
      series = cache.labels({ repo, kind, result });
      cacheSeries.set(key, series);
    }
    series.inc();
  };
  bus.on('cache:hit', ({ repo, kind }) => countCache(repo, kind, 'hit'));
  bus.on('cache:miss', ({ repo, kind }) => countCache(repo, kind, 'miss'));
  bus.on('upstream:request', ({ upstream, kind, outcome, durationMs, cause }) => {
    upstreamRequests.inc({ upstream, kind, outcome, cause: cause ?? '' });
    upstreamDuration.observe({ upstream, kind }, durationMs / 1000);
  });
  bus.on('guard:refused', ({ repo, reason }) => guardRefusals.inc({ repo, reason }));
  bus.on('index:refresh-failed', ({ repo, code }) => refreshFailures.inc({ repo, code }));
  bus.on('index:stale-served', ({ repo }) => staleServed.inc({ repo }));
  bus.on('index:entry-skipped', ({ repo }) => skippedEntries.inc({ repo }));
  bus.on('index:entry-repaired', ({ repo, kind }) => repairedEntries.inc({ repo, kind }));
  bus.on('chart:rejected', ({ repo, code }) => chartsRejected.inc({ repo, code }));
  const stateValue = { closed: 0, 'half-open': 1, open: 2 } as const;
  bus.on('upstream:retry', ({ upstream, cause }) => retries.inc({ upstream, cause }));
  bus.on('breaker:state', ({ key, to }) => {
    breakerState.set({ upstream: key }, stateValue[to]);
    breakerTransitions.inc({ upstream: key, to });
  });
  bus.on('hedge:fired', ({ repo, kind }) => hedgesFired.inc({ repo, kind }));
  bus.on('hedge:won', ({ repo, kind, index }) => {
    if (index > 0) hedgesWon.inc({ repo, kind, index: String(index) });
  });
  bus.on('dns:stale', ({ hostname }) => dnsStale.inc({ hostname }));
  bus.on('dns:lookup-failed', ({ hostname, cause }) => dnsFailures.inc({ hostname, cause }));
  // file mirrors
  const filesStored = new Counter({
    name: 'ballast_files_stored_total',
    help: 'Files fetched from an upstream, verified and stored, by file mirror.',
    labelNames: ['mirror'],
    registers,
  });
  const fileBytesStored = new Counter({
    name: 'ballast_file_bytes_stored_total',
    help: 'Bytes of files verified and stored, by file mirror.',
    labelNames: ['mirror'],
    registers,
  });
  const filesRejected = new Counter({
    name: 'ballast_files_rejected_total',
    help: "An upstream's copy of a file refused (digest mismatch, malformed checksum file, too large).",
    labelNames: ['mirror', 'upstream', 'code'],
    registers,
  });
  const fileStaleServed = new Counter({
    name: 'ballast_file_stale_served_total',
    help: 'Mutable files served from the last good copy because the upstreams failed.',
    labelNames: ['mirror'],
    registers,
  });
  bus.on('file:stored', ({ mirror, bytes }) => {
    filesStored.inc({ mirror });
    fileBytesStored.inc({ mirror }, bytes);
  });
  bus.on('file:rejected', ({ mirror, upstream, code }) =>
    filesRejected.inc({ mirror, upstream, code }),
  );
  bus.on('file:stale-served', ({ mirror }) => fileStaleServed.inc({ mirror }));
  registerServerMetrics(bus, registers);
  return registry;
}
