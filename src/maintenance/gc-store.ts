import type { Config } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import type { Digest, Store } from '../store/store.ts';
import { collectBlobReferences } from './blob-references.ts';
import { sweepAbandonedUploads } from './upload-sweep.ts';

/**
 * Added to every grace period: a file system stamps times with a coarse clock that can lag the
 * process's by a few milliseconds, and an object store stamps them with its own clock.
 */
export const clockSlackMs = 60_000;

export interface GcOptions {
  /** Blobs written less than this long before the run started are kept, referenced or not. */
  graceMs: number;
  /** Report what would be removed; remove nothing. */
  dryRun: boolean;
  now?: () => number;
  signal?: AbortSignal;
}

export interface GcReport {
  dryRun: boolean;
  blobs: number;
  bytes: number;
  referenced: number;
  /** Unreferenced, but written within the grace period. */
  recent: number;
  removed: { digest: Digest; size: number }[];
  removedBytes: number;
  /** Documents that only described removed charts (their OCI manifests). */
  removedDocuments: string[];
  /** Blob uploads (OCI push) untouched for the grace period: abandoned by their client. */
  removedUploads: string[];
}

/**
 * Removes blobs that nothing in the store refers to. The references are read before the
 * blobs are listed, and a blob is removed only when it was written before the run began minus
 * the grace period: a blob a replica writes while gc runs (a chart whose index is not stored
 * yet) is never taken. A chart's OCI manifest documents go with it, before the blob does, so
 * an interrupted run leaves at worst a blob the next run removes.
 */
export async function collectGarbage(store: Store, options: GcOptions): Promise<GcReport> {
  const startedAt = (options.now ?? Date.now)();
  const cutoff = startedAt - options.graceMs - clockSlackMs;
  const { used, chartDocuments } = await collectBlobReferences(store);
  const report: GcReport = {
    dryRun: options.dryRun,
    blobs: 0,
    bytes: 0,
    referenced: 0,
    recent: 0,
    removed: [],
    removedBytes: 0,
    removedDocuments: [],
    removedUploads: await sweepAbandonedUploads(store, {
      cutoff,
      dryRun: options.dryRun,
      ...(options.signal ? { signal: options.signal } : {}),
    }),
  };
  for await (const blob of store.listBlobs()) {
    options.signal?.throwIfAborted();
    report.blobs += 1;
    report.bytes += blob.size;
    if (used.has(blob.digest)) {
      report.referenced += 1;
      continue;
    }
    if (blob.modified.getTime() >= cutoff) {
      report.recent += 1;
      continue;
    }
    const documents = chartDocuments.get(blob.digest) ?? [];
    if (!options.dryRun) {
      for (const key of documents) await store.deleteDocument(key);
      await store.deleteBlob(blob.digest);
    }
    report.removedDocuments.push(...documents);
    report.removed.push({ digest: blob.digest, size: blob.size });
    report.removedBytes += blob.size;
  }
  return report;
}

/**
 * `guard.keepRemoved` keeps serving versions the upstream dropped from the index the server
 * holds in memory; no stored document lists them, so gc would take their charts.
 */
export function assertCollectable(config: Config): void {
  const keeping = config.repos.filter((repo) => repo.guard.keepRemoved).map((repo) => repo.name);
  if (keeping.length > 0)
    throw new BallastError('BALLAST_STORE_GC_REFUSED', {
      reason: `repositories ${keeping.join(', ')} keep removed versions (guard.keepRemoved) that only the running server knows of`,
    });
}
