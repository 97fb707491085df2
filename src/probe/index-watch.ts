import type { Logger } from '../observability/logger.ts';

/** What the watch needs of a mirrored repository (a ChartRepo has all of it). */
export interface WatchedRepo {
  readonly name: string;
  status(): { ready: boolean; loading: boolean; checkedAt: number };
  refresh(): Promise<void>;
}

export interface IndexWatchOptions {
  /** Mirrored repositories, each with its `refresh` (how old its index may grow). */
  repos: readonly { repo: WatchedRepo; refreshMs: number }[];
  /** How often the watch looks: the probe interval. */
  intervalMs: number;
  logger: Logger;
  now?: () => number;
}

export interface IndexWatch {
  start(): void;
  /** One look at every repository; resolves when its refreshes have finished. */
  tick(): Promise<void>;
  stop(): void;
}

/**
 * Revalidations at once: each is bounded by the fetch deadline, so a few blackholed upstreams
 * do not hold up the rest, and a hundred repositories are not asked all at once.
 */
const maxConcurrentRefreshes = 4;

/**
 * Revalidates every index that has grown older than its `refresh`, without waiting for a
 * client to ask: an index whose upstreams fail is then known to be stale (the repository
 * emits `index:stale`, the alerter and the metrics take it from there) even when nobody
 * pulls from the repository, and a healthy one is fresh when the next client comes.
 */
export function createIndexWatch(options: IndexWatchOptions): IndexWatch {
  const { intervalMs } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ module: 'index-watch' });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function tick(): Promise<void> {
    const due = options.repos.filter(({ repo, refreshMs }) => {
      const status = repo.status();
      return status.ready && !status.loading && now() - status.checkedAt >= refreshMs;
    });
    const worker = async () => {
      for (let next = due.shift(); next && !stopped; next = due.shift()) {
        const { repo } = next;
        // A failure is the repository's to report (`index:stale`); here it is only logged.
        await repo
          .refresh()
          .catch((error: unknown) =>
            logger.debug({ repo: repo.name, err: error }, 'index revalidation failed'),
          );
      }
    };
    await Promise.all(Array.from({ length: maxConcurrentRefreshes }, worker));
  }

  function schedule() {
    if (stopped) return;
    timer = setTimeout(() => {
      tick().finally(schedule);
    }, intervalMs);
    timer.unref();
  }

  return {
    start: schedule,
    tick,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
