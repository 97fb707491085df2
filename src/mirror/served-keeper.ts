import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { type RestoredIndex, restoreServedIndex } from './index-restore.ts';
import {
  type BuildServedIndex,
  createServedIndexBuilder,
  pruneServedBodies,
  type RunIndexBuild,
} from './served-build.ts';
import { compressServedIndex, saveServedForm } from './served-form.ts';
import { type StoredServedIndex, smallIndexBytes } from './served-index.ts';
import type { UpstreamIndex } from './upstream-index.ts';

export interface ServedKeeperOptions {
  repo: string;
  store: Store;
  logger: Logger;
  runBuild: RunIndexBuild;
  now: () => number;
  /** The repository's upstreams (made with `buildIndex`, hence late). */
  upstreams: () => readonly UpstreamIndex[];
}

/** Where one repository's served index is kept in the store, and how it comes back. */
export interface ServedKeeper {
  /** Builds in a child process and stores the body and its table. */
  readonly buildIndex: BuildServedIndex;
  /** A small index is compressed before it is served (milliseconds); a large one is not. */
  compressIfSmall(index: StoredServedIndex): Promise<void>;
  /**
   * Records the index as served from these upstreams: the pointer, then the served form; a
   * large index's compressed forms follow in the background while `stillServed` says so.
   */
  keep(
    index: StoredServedIndex,
    from: number[],
    checkedAt: number,
    stillServed: () => boolean,
  ): Promise<void>;
  /** Removes stored bodies that none of these indexes uses. */
  prune(indexes: readonly (StoredServedIndex | undefined)[]): Promise<void>;
  /** The served form at start-up, or the index rebuilt from the stored upstream indexes. */
  restore(
    rebuild: (from: number[]) => Promise<StoredServedIndex>,
  ): Promise<RestoredIndex | undefined>;
}

export function createServedKeeper(options: ServedKeeperOptions): ServedKeeper {
  const { store, logger, upstreams, now } = options;
  const pointerKey = storeKeys.servedIndex(options.repo);
  const formKey = storeKeys.servedForm(options.repo);
  const bodiesPrefix = storeKeys.servedBodies(options.repo);

  async function saveForm(index: StoredServedIndex, from: number[], checkedAt: number) {
    const urlOf = (p: number) => upstreams()[p]?.client.url ?? '';
    await saveServedForm(store, formKey, {
      from: from.map(urlOf),
      checkedAt,
      sources: from.map((p) => ({ url: urlOf(p), fetchedAt: upstreams()[p]?.fetchedAt ?? 0 })),
      index,
    });
  }

  return {
    buildIndex: createServedIndexBuilder(store, options.runBuild, options.repo),

    async compressIfSmall(index) {
      if (!index.compressed && index.bytes <= smallIndexBytes) {
        index.compressed = await compressServedIndex(store, index);
      }
    },

    async keep(index, from, checkedAt, stillServed) {
      await store.putDocument(
        pointerKey,
        JSON.stringify({ from: from.map((p) => upstreams()[p]?.client.url), at: now() }),
      );
      await saveForm(index, from, checkedAt);
      if (index.compressed) return;
      compressServedIndex(store, index)
        .then(async (compressed) => {
          index.compressed = compressed;
          if (stillServed()) await saveForm(index, from, checkedAt);
        })
        .catch((error: unknown) => logger.warn({ err: error }, 'compressing the index failed'));
    },

    prune: (indexes) => pruneServedBodies(store, bodiesPrefix, indexes),

    restore: (rebuild) =>
      restoreServedIndex({
        store,
        keys: { pointer: pointerKey, form: formKey },
        upstreams: upstreams(),
        logger,
        rebuild,
      }),
  };
}
