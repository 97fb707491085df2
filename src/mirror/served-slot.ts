import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
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
  restore(rebuild: (from: number[]) => Promise<StoredServedIndex>): Promise<void>;
}

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

  /** Parses the chart table once the requests waiting for this index have been answered. */
  function parseSoon(index: StoredServedIndex) {
    setTimeout(() => index.charts, 0).unref();
  }

  return {
    current: () => current,
    get checkedAt() {
      return checkedAt;
    },

    async swap(index, from, kept) {
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
    },

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
        parseSoon(restored.index);
        if (restored.rebuilt || !restored.index.compressed) {
          const { index, from } = restored;
          await keeper.keep(index, from, checkedAt, () => current?.index === index);
        }
        await keeper.prune([restored.index]);
      } catch (error) {
        logger.error({ err: error }, 'stored index is unreadable; it will be fetched again');
      }
    },
  };
}
