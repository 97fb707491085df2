import { loadAuth } from '../auth/load-auth.ts';
import type { Config } from '../config/schema.ts';
import type { FileMirror } from '../files/file-mirror.ts';
import type { RepoMirror } from '../mirror/repo-mirror.ts';
import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import { createMetrics } from '../observability/metrics.ts';
import { createServer } from '../server/create-server.ts';
import { createMirrors } from './create-mirrors.ts';

export interface RunningBallast {
  /** `http://host:port` the server listens on. */
  url: string;
  bus: EventBus;
  mirrors: ReadonlyMap<string, RepoMirror>;
  /** File mirrors (`files:`), by name. */
  files: ReadonlyMap<string, FileMirror>;
  /** Stops accepting, lets requests in flight finish, then releases everything. */
  close(): Promise<void>;
}

/** The composition root: config → store → DNS → upstream clients → mirrors → server. */
export async function startBallast(config: Config, logger: Logger): Promise<RunningBallast> {
  // Auth first: a bad htpasswd or token key stops the start before anything is opened.
  let events: EventBus | undefined;
  const auth = await loadAuth(config, { bus: () => events });
  const { bus, store, repos: mirrors, files, close } = await createMirrors(config, logger);
  events = bus;
  if (auth.enabled && auth.ephemeralKey)
    logger.info(
      'registry tokens are signed with a key of this process; give replicas a shared auth.tokenKey',
    );

  let accepting = false;
  const metrics = createMetrics(bus, () =>
    [...mirrors.values()].map((m) => ({ name: m.name, status: m.status })),
  );
  const server = createServer({
    mirrors,
    files,
    store,
    metrics,
    bus,
    logger,
    isAccepting: () => accepting,
    auth,
  });
  const [host, port] = splitListen(config.listen);
  const address = await server.listen({ host, port });
  accepting = true;
  logger.info(
    { address, repos: [...mirrors.keys()], files: [...files.keys()] },
    'ballast is serving',
  );

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
    async close() {
      accepting = false;
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
