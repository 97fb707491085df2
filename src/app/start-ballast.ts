import { loadAuth } from '../auth/load-auth.ts';
import type { Config } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import { systemErrorText } from '../errors/system-error.ts';
import type { FileMirror } from '../files/file-mirror.ts';
import type { ChartRepo } from '../mirror/chart-repo.ts';
import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { registerProbeMetrics } from '../observability/probe-metrics.ts';
import { createServingStats } from '../observability/serving-stats.ts';
import { createAlerter } from '../probe/alerter.ts';
import { createIndexWatch } from '../probe/index-watch.ts';
import { probeSettings, probeTargets } from '../probe/probe-targets.ts';
import { createProber, type Prober } from '../probe/prober.ts';
import { createWebhookSender } from '../probe/webhook-sender.ts';
import { createSystemClock } from '../resilience/clock.ts';
import { createServer } from '../server/create-server.ts';
import { redact } from '../upstream/http-client.ts';
import { createMirrors } from './create-mirrors.ts';

export interface RunningBallast {
  /** `http://host:port` the server listens on. */
  url: string;
  bus: EventBus;
  mirrors: ReadonlyMap<string, ChartRepo>;
  /** File mirrors (`files:`), by name. */
  files: ReadonlyMap<string, FileMirror>;
  /** Background probes of every upstream (`probes:`). */
  prober: Prober;
  /** Stops accepting, lets requests in flight finish, then releases everything. */
  close(): Promise<void>;
}

/** The composition root: config → store → DNS → upstream clients → mirrors → server. */
export async function startBallast(config: Config, logger: Logger): Promise<RunningBallast> {
  // Auth first: a bad htpasswd or token key stops the start before anything is opened.
  let events: EventBus | undefined;
  const auth = await loadAuth(config, { bus: () => events });
  const {
    bus,
    store,
    repos: mirrors,
    hosted,
    files,
    close,
  } = await createMirrors(config, logger, {
    loadInBackground: true,
  });
  events = bus;
  if (auth.enabled && auth.ephemeralKey)
    logger.info(
      'registry tokens are signed with a key of this process; give replicas a shared auth.tokenKey',
    );

  let accepting = false;
  const metrics = createMetrics(bus, () =>
    [...mirrors.values()].map((m) => ({ name: m.name, status: m.status })),
  );
  registerProbeMetrics(metrics, bus);
  const clock = createSystemClock();
  const senders = config.alerts.webhooks.map((webhook) =>
    createWebhookSender({ webhook, bus, clock }),
  );
  const prober = createProber({
    targets: config.probes.enabled ? probeTargets(config) : [],
    settings: probeSettings(config),
    intervalMs: config.probes.interval,
    store,
    bus,
    logger,
  });
  // With probes on, indexes are also revalidated without clients: staleness is known at once.
  const indexWatch = createIndexWatch({
    repos: config.probes.enabled
      ? config.repos.flatMap((repo) => {
          const mirror = mirrors.get(repo.name);
          return mirror ? [{ repo: mirror, refreshMs: repo.refresh }] : [];
        })
      : [],
    intervalMs: config.probes.interval,
    logger,
  });
  const server = createServer({
    repos: mirrors,
    hosted,
    provSize: config.limits.provSize,
    files,
    store,
    metrics,
    bus,
    logger,
    isAccepting: () => accepting,
    connections: {
      maxConnections: config.server.maxConnections,
      headersTimeoutMs: config.server.headersTimeout,
    },
    status: { upstreams: () => prober.upstreams(), stats: createServingStats(bus, store) },
    auth,
  });
  const [host, port] = splitListen(config.listen);
  let address: string;
  try {
    address = await server.listen({ host, port });
  } catch (error) {
    await server.close().catch(() => {});
    await close();
    throw new BallastError(
      'BALLAST_LISTEN_FAILED',
      { address: config.listen, reason: systemErrorText(error) },
      { cause: error },
    );
  }
  accepting = true;
  logger.info(
    { address, repos: [...mirrors.keys()], files: [...files.keys()] },
    'ballast is serving',
  );

  const stopAlerts = createAlerter({
    alerts: config.alerts,
    bus,
    send: (alert) => {
      for (const sender of senders) sender.send(alert);
    },
    stateOf: (repo, upstream) =>
      prober
        .upstreams()
        .find((u) => u.target.subject.name === repo && redact(u.target.url) === upstream)?.record
        .status.state,
  });
  await prober.start();
  indexWatch.start();

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
    files,
    prober,
    async close() {
      accepting = false;
      prober.stop();
      indexWatch.stop();
      stopAlerts();
      for (const sender of senders) sender.stop();
      await server.close();
      await close();
    },
  };
}

function splitListen(listen: string): [string, number] {
  const index = listen.lastIndexOf(':');
  const host = listen.slice(0, index).replace(/^\[|\]$/g, '') || '0.0.0.0';
  return [host, Number(listen.slice(index + 1))];
}
