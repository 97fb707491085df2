import { createHash } from 'node:crypto';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { renderView, type ViewSpec, viewKey } from '../mirror/index-view.ts';
import type { ServedIndex } from '../mirror/served-index.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { Store } from '../store/store.ts';
import type { IndexBody } from './send-index.ts';

const gzipAsync = promisify(gzip);

export interface IndexViewCache {
  /** The view's body, made once per served index and view, then from memory. */
  get(repo: string, index: ServedIndex, view: ViewSpec): Promise<IndexBody>;
}

/**
 * Views are derived from the served index, never from the upstream: the key is the served
 * body's digest and the view, so a new index makes new views and old ones age out. Least
 * recently used goes first, by count and by bytes; one render per key at a time.
 */
export function createIndexViewCache(
  store: Store,
  limits: { entries: number; bytes: number },
): IndexViewCache {
  const entries = new Map<string, IndexBody & { size: number }>();
  const flight = createSingleFlight<IndexBody & { size: number }>();
  let total = 0;

  async function render(index: ServedIndex, view: ViewSpec) {
    const body = await renderView(index, view, store);
    const compressed = await gzipAsync(body, { level: 6 });
    const etag = `"v-${createHash('sha256').update(body).digest('hex').slice(0, 40)}"`;
    return { etag, identity: body, gzip: compressed, size: body.length + compressed.length };
  }

  return {
    async get(repo, index, view) {
      // The etag is the identity body's validator, so a new body makes new views.
      const key = `${repo} ${index.etag} ${viewKey(view)}`;
      const hit = entries.get(key);
      if (hit) {
        entries.delete(key);
        entries.set(key, hit);
        return hit;
      }
      const made = await flight.run(key, () => render(index, view));
      if (!entries.has(key) && made.size <= limits.bytes) {
        entries.set(key, made);
        total += made.size;
        for (const [oldest, entry] of entries) {
          if (total <= limits.bytes && entries.size <= limits.entries) break;
          entries.delete(oldest);
          total -= entry.size;
        }
      }
      return made;
    },
  };
}
