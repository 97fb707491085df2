import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/**
 * Removes blob uploads (OCI push) that nobody has touched since `cutoff`: a client that died
 * mid-push leaves its state and chunks behind, and they name no blob, so nothing else would
 * ever remove them. An upload is judged by its most recent document, so one that is still
 * receiving chunks is never taken. Returns the ids removed (or that would be, on a dry run).
 */
export async function sweepAbandonedUploads(
  store: Store,
  options: { cutoff: number; dryRun: boolean; signal?: AbortSignal },
): Promise<string[]> {
  const byUpload = new Map<string, string[]>();
  for (const key of await store.listDocuments(storeKeys.uploads)) {
    const id = key.split('/')[1] ?? '';
    byUpload.set(id, [...(byUpload.get(id) ?? []), key]);
  }
  const removed: string[] = [];
  for (const [id, keys] of byUpload) {
    options.signal?.throwIfAborted();
    let newest = 0;
    for (const key of keys)
      newest = Math.max(newest, (await store.statDocument(key))?.modified.getTime() ?? 0);
    if (newest >= options.cutoff) continue;
    removed.push(id);
    if (options.dryRun) continue;
    // The state first: a late chunk then finds no upload instead of reviving a partial one.
    const state = storeKeys.uploadState(id);
    for (const key of [state, ...keys.filter((k) => k !== state)]) await store.deleteDocument(key);
  }
  return removed;
}
