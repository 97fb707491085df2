import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Config } from '../config/schema.ts';
import { resolveUpstreamAuth, upstreamAuthKey } from '../config/upstream-auth.ts';
import { createFileMirror, type FileMirror } from '../files/file-mirror.ts';
import { createCombinedRepo } from '../hosted/combined-repo.ts';
import { createHostedRepo, type HostedRepo } from '../hosted/hosted-repo.ts';
import type { HostedWrites } from '../hosted/hosted-writes.ts';
import type { ChartRepo } from '../mirror/chart-repo.ts';
import { createRepoMirror, type RepoMirror } from '../mirror/repo-mirror.ts';
import type { Resilience } from '../mirror/upstream-calls.ts';
import { logEvents } from '../observability/event-log.ts';
import { createEventBus, type EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import { createBreakerRegistry } from '../resilience/circuit-breaker.ts';
import { createSystemClock } from '../resilience/clock.ts';
import { createResolver } from '../resilience/dns-resolver.ts';
import { createLatencyWindows } from '../resilience/latency-window.ts';
import type { Store } from '../store/store.ts';
import { createHttpClient, type HttpClient } from '../upstream/http-client.ts';
import { createStore } from './create-store.ts';
import { createUpstream } from './create-upstream.ts';

/** Everything of a Ballast but its HTTP face: what `serve`, `sync` and `export` share. */
export interface Mirrors {
  bus: EventBus;
  store: Store;
  http: HttpClient;
  resilience: Resilience;
  /** Every repository: a mirror, a hosted repository, or both in one index. */
  repos: ReadonlyMap<string, ChartRepo>;
  /** The write side of every repository with `hosted: true`. */
  hosted: ReadonlyMap<string, HostedWrites>;
  files: ReadonlyMap<string, FileMirror>;
  /** Releases the upstream connections and the store. */
  close(): Promise<void>;
}

/**
 * config → store → DNS → upstream clients → repository and file mirrors, each repository's
 * last good index loaded from the store (in the background for a server). The server is built
 * on top of this (start-ballast), and so are the commands that work on the store without
 * serving (sync, export).
 */
export async function createMirrors(
  config: Config,
  logger: Logger,
  options: { loadInBackground?: boolean } = {},
): Promise<Mirrors> {
  const bus = createEventBus();
  logEvents(bus, logger);
  const clock = createSystemClock();
  const store = await createStore(config, logger);
  const resolver = createResolver({
    ...(config.resolver.servers ? { servers: config.resolver.servers } : {}),
    staleFor: config.resolver.staleFor,
    hosts: config.resolver.hosts,
    timeoutMs: config.resolver.timeout,
    clock,
    bus,
  });
  const http = createHttpClient({
    timeouts: config.timeouts,
    maxRedirects: config.maxRedirects,
    lookup: resolver.lookup,
  });
  const { retry, breaker, hedge, deadline } = config.resilience;
  const resilience: Resilience = {
    clock,
    bus,
    breakers: createBreakerRegistry({
      clock,
      bus,
      policy: { failureThreshold: breaker.failureThreshold, coolDownMs: breaker.coolDown },
    }),
    latencies: createLatencyWindows(),
    deadlineMs: deadline,
    retry: {
      maxAttempts: retry.maxAttempts,
      baseDelayMs: retry.baseDelay,
      maxDelayMs: retry.maxDelay,
      retryAfterCapMs: retry.retryAfterCap,
    },
    hedge: hedge.enabled ? { floorMs: hedge.floor, ceilingMs: hedge.ceiling } : false,
  };

  const replica = `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
  const repos = new Map<string, ChartRepo>();
  const hosted = new Map<string, HostedRepo>();
  for (const [i, repo] of config.repos.entries()) {
    const own =
      repo.hosted &&
      createHostedRepo({
        repo,
        store,
        bus,
        logger,
        limits: config.limits,
      });
    if (own) hosted.set(repo.name, own);
    if (own && repo.upstreams.length === 0) {
      repos.set(repo.name, own);
      continue;
    }
    const upstreams = repo.upstreams.map((upstream, j) =>
      createUpstream(upstream, repo, upstreamAuthKey('repos', i, j), {
        http,
        bus,
        store,
        limits: config.limits,
      }),
    );
    const mirror: RepoMirror = createRepoMirror({
      repo,
      upstreams,
      store,
      resilience,
      logger,
      limits: config.limits,
      // Replicas on one bucket take turns asking an upstream (a lease in the bucket).
      ...(config.storage.s3 ? { replica } : {}),
    });
    repos.set(repo.name, own ? createCombinedRepo(own, mirror, store) : mirror);
  }
  const loads = Promise.all([...repos.values()].map((mirror) => mirror.load()));
  // A server listens at once and says it is not ready until the stored indexes are loaded.
  if (!options.loadInBackground) await loads;

  const files = new Map<string, FileMirror>();
  for (const [i, file] of config.files.entries()) {
    const credentials = file.upstreams.map((upstream, j) =>
      upstream.auth
        ? resolveUpstreamAuth(upstream.auth, upstreamAuthKey('files', i, j))
        : undefined,
    );
    files.set(
      file.name,
      createFileMirror({ config: file, credentials, http, store, resilience, logger }),
    );
  }

  return {
    bus,
    store,
    http,
    resilience,
    repos,
    hosted,
    files,
    async close() {
      await http.close();
      await store.close();
    },
  };
}
