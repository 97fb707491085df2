import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BallastError } from '../../errors/ballast-error.ts';
import { systemErrorText } from '../../errors/system-error.ts';
import {
  type BlobInfo,
  type ByteRange,
  type Digest,
  isDigest,
  isDocumentKey,
  type ListedBlob,
  type PutBlobOptions,
  type Store,
} from '../store.ts';
import { ownerIsAlive, ownStamp } from './process-liveness.ts';

export interface FsStoreOptions {
  root: string;
}

/**
 * The filesystem store: `blobs/sha256/ab/<hex>`, `docs/<key>`, and `tmp/<pid>-<id>/` for
 * writes in progress. Every write goes to the process's own tmp folder, is fsynced, then
 * renamed into place, so a crash leaves at worst an orphan there, never a partial object.
 * Orphans of processes that are gone (dead, zombies, or their pid reused: see
 * process-liveness.ts) are cleared at start-up; another live process using the same folder
 * (a server while `ballast sync` runs) keeps its writes in progress.
 */
export async function createFsStore({ root }: FsStoreOptions): Promise<Store> {
  const tmpRoot = path.join(root, 'tmp');
  await makeDir(tmpRoot);
  await clearOrphans(tmpRoot);
  const tmpDir = path.join(tmpRoot, `${ownStamp()}-${randomUUID().slice(0, 8)}`);
  await makeDir(tmpDir);
  await makeDir(path.join(root, 'blobs', 'sha256'));
  await makeDir(path.join(root, 'docs'));

  const blobPath = (digest: Digest) => {
    if (!isDigest(digest))
      throw new BallastError('BALLAST_STORE_KEY_INVALID', {
        key: digest,
        reason: 'not a sha256 digest',
      });
    const hex = digest.slice('sha256:'.length);
    return path.join(root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  };
  const docPath = (key: string) => {
    if (!isDocumentKey(key))
      throw new BallastError('BALLAST_STORE_KEY_INVALID', {
        key,
        reason: 'not a plain relative key',
      });
    return path.join(root, 'docs', key);
  };
  const tmpPath = () => path.join(tmpDir, randomUUID());

  return {
    async statBlob(digest) {
      try {
        const info = await stat(blobPath(digest));
        return { digest, size: info.size };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    async readBlob(digest, range?: ByteRange): Promise<Readable> {
      const file = blobPath(digest);
      const handle = await open(file, 'r').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') throw new BallastError('BALLAST_BLOB_NOT_FOUND', { digest });
        throw error;
      });
      return createReadStream('', { fd: handle, ...(range ?? {}) });
    },

    async putBlob(source, options: PutBlobOptions): Promise<BlobInfo> {
      const temp = tmpPath();
      const handle = await open(temp, 'wx').catch(full(temp));
      const hash = createHash('sha256');
      let size = 0;
      try {
        for await (const chunk of source) {
          size += chunk.byteLength;
          if (size > options.maxBytes) {
            throw new BallastError('BALLAST_BODY_TOO_LARGE', {
              what: options.what,
              source: options.source,
              limit: options.maxBytes,
            });
          }
          hash.update(chunk);
          await handle.write(chunk);
        }
        const digest: Digest = `sha256:${hash.digest('hex')}`;
        if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
          throw new BallastError('BALLAST_DIGEST_MISMATCH', {
            what: options.what,
            source: options.source,
            actual: digest,
            expected: options.expectedDigest,
          });
        }
        await handle.sync();
        await handle.close();
        const target = blobPath(digest);
        await mkdir(path.dirname(target), { recursive: true });
        await rename(temp, target);
        return { digest, size };
      } catch (error) {
        await handle.close().catch(() => {});
        await rm(temp, { force: true });
        return full(options.expectedDigest ? blobPath(options.expectedDigest) : temp)(error);
      }
    },

    async *listBlobs(): AsyncIterable<ListedBlob> {
      const base = path.join(root, 'blobs', 'sha256');
      for (const shard of await readdir(base)) {
        for (const hex of await readdir(path.join(base, shard)).catch(() => [])) {
          const digest = `sha256:${hex}`;
          if (!isDigest(digest) || !hex.startsWith(shard)) continue;
          const info = await stat(path.join(base, shard, hex)).catch(() => undefined);
          if (info?.isFile()) yield { digest, size: info.size, modified: info.mtime };
        }
      }
    },

    async deleteBlob(digest) {
      await rm(blobPath(digest), { force: true });
    },

    async getDocument(key) {
      try {
        return await readFile(docPath(key));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },

    async openDocument(key) {
      const handle = await open(docPath(key), 'r').catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return undefined;
        throw error;
      });
      return handle ? createReadStream('', { fd: handle }) : undefined;
    },

    async putDocument(key, data) {
      const target = docPath(key);
      const temp = tmpPath();
      const handle = await open(temp, 'wx').catch(full(target));
      try {
        if (typeof data === 'string' || Buffer.isBuffer(data)) {
          await handle.writeFile(data);
        } else {
          for await (const chunk of data) await handle.write(chunk);
        }
        await handle.sync();
      } catch (error) {
        await handle.close().catch(() => {});
        await rm(temp, { force: true });
        return full(target)(error);
      }
      await handle.close();
      await mkdir(path.dirname(target), { recursive: true }).catch(full(target));
      await rename(temp, target);
    },

    async deleteDocument(key) {
      await rm(docPath(key), { force: true });
    },

    async listDocuments(prefix) {
      const base = path.join(root, 'docs');
      const entries = await readdir(base, { recursive: true, withFileTypes: true });
      return entries
        .filter((entry) => entry.isFile())
        .map((entry) =>
          path.relative(base, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
        )
        .filter((key) => key.startsWith(prefix))
        .sort();
    },

    async close() {
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
}

/**
 * Rethrows an error, as BALLAST_STORAGE_FULL when the disk is full or over quota: a condition
 * of the machine that the operator must see (a 507 to the client, an error log naming the
 * file), not a bug.
 */
function full(file: string): (error: unknown) => never {
  return (error) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOSPC' || code === 'EDQUOT')
      throw new BallastError(
        'BALLAST_STORAGE_FULL',
        { path: file, reason: systemErrorText(error) },
        { cause: error },
      );
    throw error;
  };
}

/**
 * `mkdir -p` that reports the real cause: a recursive mkdir says ENOENT when a parent cannot
 * be created on a read-only file system; creating the first missing folder alone says EROFS.
 */
async function makeDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    let missing = dir;
    while (path.dirname(missing) !== missing && !(await exists(path.dirname(missing))))
      missing = path.dirname(missing);
    await mkdir(missing);
    throw error;
  }
}

async function exists(file: string): Promise<boolean> {
  return stat(file).then(
    () => true,
    () => false,
  );
}

async function clearOrphans(tmpRoot: string): Promise<void> {
  for (const entry of await readdir(tmpRoot)) {
    if (ownerIsAlive(entry)) continue;
    await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
  }
}
