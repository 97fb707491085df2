import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SkippedEntry } from '../helm/index-parse.ts';
import type { IndexRepair } from '../helm/index-repairs.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import type { IndexBuildJob, IndexBuildResult } from './index-build.ts';
import {
  etagOf,
  type StoredBody,
  type StoredServedIndex,
  servedIndexOf,
  smallIndexBytes,
} from './served-index.ts';

export type RunIndexBuild = (job: IndexBuildJob) => Promise<IndexBuildResult>;
export type ServedBuildJob = Omit<IndexBuildJob, 'servedFile'>;

export interface ServedBuild {
  served: StoredServedIndex;
  skipped: SkippedEntry[];
  repairs: IndexRepair[];
  kept: number;
}

/** Builds the served index (in a child process) and stores its body as a blob. */
export type BuildServedIndex = (job: ServedBuildJob) => Promise<ServedBuild>;

/**
 * Bodies are documents of the repository (`storeKeys.servedBody`), named by their digest: a
 * reader that holds one index never gets the bytes of the next, and old ones are removed by
 * `pruneServedBodies`.
 */
export function createServedIndexBuilder(
  store: Store,
  run: RunIndexBuild,
  repo: string,
): BuildServedIndex {
  return async (job) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'ballast-served-'));
    try {
      const result = await run({ ...job, servedFile: path.join(dir, 'index.json') });
      const built = result.served;
      const identity: StoredBody = {
        key: storeKeys.servedBody(repo, built.digest),
        digest: built.digest,
        size: built.bytes,
      };
      await store.putDocument(identity.key, createReadStream(built.file));
      const tableJson = await readFile(built.tableFile);
      const table: StoredBody = {
        key: storeKeys.servedBody(repo, built.digest, '.table'),
        digest: `sha256:${createHash('sha256').update(tableJson).digest('hex')}`,
        size: tableJson.length,
      };
      await store.putDocument(table.key, tableJson);
      const served = servedIndexOf(
        {
          bytes: built.bytes,
          versions: built.versions,
          identity,
          table,
          etag: etagOf(built.digest),
          ...(built.bytes <= smallIndexBytes ? { body: await readFile(built.file) } : {}),
        },
        tableJson,
      );
      return { served, skipped: result.skipped, repairs: result.repairs, kept: result.kept };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/**
 * Removes the stored bodies under `prefix` that none of `keep` uses: builds that were never
 * served, and indexes served two swaps ago. A body's compressed forms share its key's start.
 */
export async function pruneServedBodies(
  store: Store,
  prefix: string,
  keep: readonly (StoredServedIndex | undefined)[],
): Promise<void> {
  const used = keep.flatMap((index) => (index ? [index.identity.key] : []));
  for (const key of await store.listDocuments(`${prefix}/`)) {
    if (!used.some((identity) => key.startsWith(identity))) await store.deleteDocument(key);
  }
}
