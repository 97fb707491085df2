import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/store.ts';
import { type BodyCheck, loadServedForm } from './served-form.ts';
import type { StoredServedIndex } from './served-index.ts';
import type { UpstreamIndex } from './upstream-index.ts';

export interface RestoredIndex {
  index: StoredServedIndex;
  /** Positions of the upstreams it was built from. */
  from: number[];
  checkedAt: number;
  /** Rebuilt from the stored upstream indexes, so its served form is not stored yet. */
  rebuilt: boolean;
  /** For a stored form served unread: checks its bodies (see `loadServedForm`). */
  check?: () => Promise<BodyCheck>;
}

export interface RestoreOptions {
  store: Store;
  /** The pointer (which upstreams, when) and the served form. */
  keys: { pointer: string; form: string };
  upstreams: readonly UpstreamIndex[];
  logger: Logger;
  /** Builds the served index again from the stored indexes of these upstreams. */
  rebuild(from: number[]): Promise<StoredServedIndex>;
}

/**
 * The last good index at start-up: the stored served form when it passes its checks and was
 * built from the upstream indexes that are stored now (no YAML is parsed); else rebuilt from
 * those upstream indexes. Undefined when nothing was ever served.
 */
export async function restoreServedIndex(
  options: RestoreOptions,
): Promise<RestoredIndex | undefined> {
  const { store, keys, upstreams, logger } = options;
  await Promise.all(
    upstreams.map((u) =>
      u.load().catch((error: unknown) => logger.warn({ err: error }, 'unreadable upstream index')),
    ),
  );
  const pointer = await store.getDocument(keys.pointer);
  if (!pointer) return undefined;
  const positionOf = (url: string) => upstreams.findIndex((u) => u.client.url === url);
  const loaded = await loadServedForm(store, keys.form);
  if ('form' in loaded) {
    const { form } = loaded;
    const from = form.from.map(positionOf);
    // Written after the upstream's index: a crash in between leaves a form of the one before.
    const current = form.sources.every(
      (source, i) => upstreams[from[i] ?? -1]?.fetchedAt === source.fetchedAt,
    );
    if (!from.includes(-1) && current) {
      logger.info({ versions: form.index.versions }, 'loaded the served index');
      const { index, checkedAt } = form;
      return { index, from, checkedAt, rebuilt: false, check: loaded.check };
    }
  } else if ('corrupt' in loaded) {
    logger.warn(
      { reason: loaded.corrupt },
      'the stored served index failed its check; rebuilding it from the upstream index',
    );
  }
  const { from: urls, at } = JSON.parse(pointer.toString('utf8')) as {
    from: string[];
    at: number;
  };
  const from = urls.map(positionOf).filter((p) => p >= 0);
  const index = await options.rebuild(from);
  logger.info(
    { versions: index.versions, fetchedAt: new Date(at).toISOString() },
    'loaded last good index',
  );
  return { index, from, checkedAt: at, rebuilt: true };
}
