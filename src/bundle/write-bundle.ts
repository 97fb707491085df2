import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { BallastError } from '../errors/ballast-error.ts';
import type { Store } from '../store/store.ts';
import {
  type BundleEntry,
  type BundleManifest,
  bundleFormat,
  bundleVersion,
  manifestEntryName,
} from './bundle-manifest.ts';
import type { BundleContent } from './collect-bundle.ts';

export interface WrittenBundle {
  manifest: BundleManifest;
  bytes: number;
}

/**
 * Writes the content as a tar: the manifest first (so `tar -xOf bundle.tar ballast-bundle.json`
 * shows what is inside), then blobs, then documents. Documents are copied to a temporary
 * folder first, so the manifest can give their digests and a document rewritten meanwhile
 * cannot make the bundle disagree with itself; blobs are hashed again as they are copied, so a
 * damaged store is reported instead of exported. The bundle appears at `out` only when whole.
 */
export async function writeBundle(
  store: Store,
  content: BundleContent,
  out: string,
  sources: Pick<BundleManifest, 'repos' | 'files'>,
): Promise<WrittenBundle> {
  const spool = await mkdtemp(path.join(tmpdir(), 'ballast-export-'));
  const partial = `${out}.partial`;
  try {
    const documents: (BundleEntry & { file: string })[] = [];
    for (const [i, key] of content.documents.entries()) {
      const file = path.join(spool, String(i));
      const copied = await spoolDocument(store, key, file);
      if (copied) documents.push({ name: `docs/${key}`, file, ...copied });
    }
    const blobs: BundleEntry[] = [];
    for (const digest of content.blobs) {
      const info = await store.statBlob(digest);
      if (info) blobs.push({ name: `blobs/sha256/${digest.slice(7)}`, digest, size: info.size });
    }
    const manifest: BundleManifest = {
      format: bundleFormat,
      version: bundleVersion,
      createdAt: new Date().toISOString(),
      ...sources,
      entries: [...blobs, ...documents].map(({ name, digest, size }) => ({ name, digest, size })),
    };
    const tar = pack();
    const written = pipeline(tar, createWriteStream(partial));
    written.catch(() => {}); // awaited below; a failure before that must not go unhandled
    const add = async (name: string, size: number, source: AsyncIterable<Buffer> | Buffer) => {
      const entry = tar.entry({ name, size, mode: 0o644, mtime: new Date(manifest.createdAt) });
      await pipeline(Buffer.isBuffer(source) ? [source] : source, entry);
    };
    const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 1));
    await add(manifestEntryName, manifestBytes.length, manifestBytes);
    for (const blob of blobs) {
      await add(blob.name, blob.size, checked(await store.readBlob(blob.digest), blob));
    }
    for (const doc of documents) await add(doc.name, doc.size, createReadStream(doc.file));
    tar.finalize();
    await written;
    const handle = await open(partial, 'r');
    const { size: bytes } = await handle.stat();
    await handle.sync();
    await handle.close();
    await rename(partial, out);
    return { manifest, bytes };
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  } finally {
    await rm(spool, { recursive: true, force: true });
  }
}

async function spoolDocument(
  store: Store,
  key: string,
  file: string,
): Promise<{ digest: `sha256:${string}`; size: number } | undefined> {
  const document = await store.openDocument(key);
  if (!document) return undefined; // deleted since it was listed
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    document,
    async function* (source: AsyncIterable<Buffer>) {
      for await (const chunk of source) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
    },
    createWriteStream(file),
  );
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

async function* checked(source: AsyncIterable<Buffer>, blob: BundleEntry): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of source) {
    hash.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (actual !== blob.digest || size !== blob.size)
    throw new BallastError('BALLAST_EXPORT_FAILED', {
      reason: `the store's blob ${blob.digest} is damaged (its bytes hash to ${actual}); remove it and sync again`,
    });
}
