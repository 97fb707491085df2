import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { RestoredIndex } from './index-restore.ts';
import type { StoredServedIndex } from './served-index.ts';
import type { ServedKeeper } from './served-keeper.ts';
import type { UpstreamIndex } from './upstream-index.ts';

/** The index a repository serves now, and the upstream positions it was built from. */
export interface CurrentIndex {
  index: StoredServedIndex;
  from: number[];
}

/** What builds read and replace: the served index. */
export interface ServedSwap {
  /** The same object until the next swap, so a caller can tell whether one happened. */
  current(): CurrentIndex | undefined;
  /** Keeps `index` in the store, then serves it; `kept`: versions guard.keepRemoved kept. */
  swap(index: StoredServedIndex, from: number[], kept: number): Promise<void>;
}

/** The served index of one repository, when an upstream last confirmed it, and its keeping. */
export interface ServedSlot extends ServedSwap {
  /** When an upstream last confirmed the served index (ms since the epoch); 0 before. */
  readonly checkedAt: number;
  /** An upstream confirmed the served index at `at`: bodies no index uses any more go. */
  confirmed(at: number): Promise<void>;
  /** Takes the last good index from the store at start-up; `rebuild` builds from upstream copies. */
  restore(rebuild: Rebuild): Promise<void>;
  /**
   * While a restored index whose body failed its check is rebuilt: requests wait for it
   * rather than get the altered bytes.
   */
  repairing(): Promise<void> | undefined;
}

type Rebuild = (from: number[]) => Promise<StoredServedIndex>;

export interface ServedSlotOptions {
  repo: string;
  keeper: ServedKeeper;
  upstreams: readonly UpstreamIndex[];
  bus: EventBus;
  logger: Logger;
  now: () => number;
}

export function createServedSlot(options: ServedSlotOptions): ServedSlot {
  const { repo, keeper, upstreams, bus, logger, now } = options;
  let current: CurrentIndex | undefined;
  /** The index served before the current one: requests may still be reading its bodies. */
  let previous: StoredServedIndex | undefined;
  let checkedAt = 0;
  let repairing: Promise<void> | undefined;

  /** Parses the chart table once the requests waiting for this index have been answered. */
  function parseSoon(index: StoredServedIndex) {
    setTimeout(() => index.charts, 0).unref();
  }

  async function swap(index: StoredServedIndex, from: number[], kept: number) {
    await keeper.compressIfSmall(index);
    // Stored before it is served: what a client has seen, a restart serves too.
    await keeper.keep(index, from, checkedAt || now(), () => current?.index === index);
    if (current?.index !== index) previous = current?.index;
    current = { index, from };
    parseSoon(index);
    const labels = from.map((p) => upstreams[p]?.client.label).join(', ');
    bus.emit('index:updated', {
      repo,
      upstream: labels,
      versions: index.versions,
      bytes: index.bytes,
    });
    if (kept > 0)
      logger.warn({ kept }, 'kept chart versions the upstream removed (guard.keepRemoved)');
  }

  /**
   * Serving an altered body stops: requests wait for the rebuild (see `repairing`), or fetch
   * the index anew if it fails. Once per restored index.
   */
  function repair(index: StoredServedIndex, from: number[], rebuild: Rebuild, reason: string) {
    if (repairing || current?.index !== index) return;
    logger.warn(
      { reason },
      'the stored served index failed its check; rebuilding it from the upstream index',
    );
    const run = async () => {
      try {
        const rebuilt = await rebuild(from);
        if (current?.index === index) await swap(rebuilt, from, 0);
      } catch (error) {
        if (current?.index === index) current = undefined;
        logger.error({ err: error }, 'the served index could not be rebuilt; it will be fetched');
      }
    };
    repairing = run().finally(() => {
      repairing = undefined;
    });
  }

  /**
   * After a stored form is served: its table is read, its large body hashed, its compressed
   * forms read (none is served until then), and a body that fails its digest is rebuilt.
   */
  async function checkRestored(restored: RestoredIndex, rebuild: Rebuild) {
    const { index, from } = restored;
    // Registered before any request can wait on the table, so a failed one finds the repair.
    index.tableRead?.then((read) => {
      if (!read) repair(index, from, rebuild, `the chart table of ${index.identity.digest}`);
    });
    const check = (await restored.check?.()) ?? {};
    if (current?.index !== index) return;
    if (check.altered) {
      repair(index, from, rebuild, check.altered);
      return;
    }
    if (check.unchecked)
      logger.warn(
        { reason: check.unchecked },
        'the stored served index could not be read to check it; it is served as stored',
      );
    parseSoon(index);
    if (check.compressedAltered)
      logger.warn({ reason: check.compressedAltered }, 'compressing the index again');
    if (check.compressed) index.compressed = check.compressed;
    if (!index.compressed)
      await keeper.keep(index, from, checkedAt, () => current?.index === index);
    await keeper.prune([index]);
  }

  return {
    current: () => current,
    get checkedAt() {
      return checkedAt;
    },
    swap,

    async confirmed(at) {
      checkedAt = at;
      await keeper.prune([current?.index, previous]);
    },

    async restore(rebuild) {
      try {
        const restored = await keeper.restore(rebuild);
        if (!restored) return;
        current = { index: restored.index, from: restored.from };
        checkedAt = restored.checkedAt;
        if (restored.rebuilt) {
          const { index, from } = restored;
          parseSoon(index);
          await keeper.keep(index, from, checkedAt, () => current?.index === index);
          await keeper.prune([index]);
          return;
        }
        // Served from here on; the table is read and the bodies checked behind the first requests.
        checkRestored(restored, rebuild).catch((error: unknown) =>
          logger.warn({ err: error }, 'checking the stored served index failed'),
        );
      } catch (error) {
        logger.error({ err: error }, 'stored index is unreadable; it will be fetched again');
      }
    },

    repairing: () => repairing,
  };
}
