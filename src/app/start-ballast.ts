import type { Config } from '../config/schema.ts';
import { createRepoMirror, type RepoMirror } from '../mirror/repo-mirror.ts';
import type { Resilience } from '../mirror/upstream-calls.ts';
import { logEvents } from '../observability/event-log.ts';
import { createEventBus, type EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createBreakerRegistry } from '../resilience/circuit-breaker.ts';
import { createSystemClock } from '../resilience/clock.ts';
import { createResolver } from '../resilience/dns-resolver.ts';
import { createLatencyWindows } from '../resilience/latency-window.ts';
import { createServer } from '../server/create-server.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import { createHttpClient } from '../upstream/http-client.ts';
import { createUpstream } from './create-upstream.ts';

export interface RunningBallast {
  /** `http://host:port` the server listens on. */
  url: string;
  bus: EventBus;
  mirrors: ReadonlyMap<string, RepoMirror>;
  /** Stops accepting, lets requests in flight finish, then releases everything. */
  close(): Promise<void>;
}

/** The composition root: config → store → DNS → upstream clients → mirrors → server. */
export async function startBallast(config: Config, logger: Logger): Promise<RunningBallast> {
  const bus = createEventBus();
  logEvents(bus, logger);
  const clock = createSystemClock();
  const store = await createFsStore({ root: config.storage.fs.path });
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

  const mirrors = new Map<string, RepoMirror>();
  for (const repo of config.repos) {
    const upstreams = repo.upstreams.map((upstream) =>
      createUpstream(upstream, repo, { http, bus, store, limits: config.limits }),
    );
    mirrors.set(
      repo.name,
      createRepoMirror({ repo, upstreams, store, resilience, logger, limits: config.limits }),
    );
  }
  await Promise.all([...mirrors.values()].map((mirror) => mirror.load()));

  let accepting = false;
  const metrics = createMetrics(bus, () =>
    [...mirrors.values()].map((m) => ({ name: m.name, status: m.status })),
  );
  const server = createServer({
    mirrors,
    store,
    metrics,
    bus,
    logger,
    isAccepting: () => accepting,
  });
  const [host, port] = splitListen(config.listen);
  const address = await server.listen({ host, port });
  accepting = true;
  logger.info({ address, repos: [...mirrors.keys()] }, 'ballast is serving');

  // Warm every index now, so the first client does not wait for the upstream.
  for (const mirror of mirrors.values()) {
    mirror
      .index()
      .catch((error: unknown) =>
        logger.warn({ repo: mirror.name, err: error }, 'initial index fetch failed'),
      );
  }

  return {
    url: address,
    bus,
    mirrors,
    async close() {
      accepting = false;
      await server.close();
      await http.close();
      await store.close();
    },
  };
}

function splitListen(listen: string): [string, number] {
  const index = listen.lastIndexOf(':');
  const host = listen.slice(0, index).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return [host, Number(listen.slice(index + 1))];
}
