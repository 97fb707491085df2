import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import {
  type FileHandle,
  link,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
} from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BallastError } from '../../errors/ballast-error.ts';
import { systemErrorText } from '../../errors/system-error.ts';
import { createBlobIntake } from '../blob-intake.ts';
import {
  type BlobInfo,
  type ByteRange,
  checkedDigest,
  checkedDocumentKey,
  conditionHolds,
  conflictError,
  type Digest,
  type DocumentInfo,
  isDigest,
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
    const hex = checkedDigest(digest).slice('sha256:'.length);
    return path.join(root, 'blobs', 'sha256', hex.slice(0, 2), hex);
  };
  const docPath = (key: string) => path.join(root, 'docs', checkedDocumentKey(key));
  const tmpPath = () => path.join(tmpDir, randomUUID());
  // Conditional writes of one key are serialised within the process; the check and the
  // rename are not atomic against another process (fs is a single-node store).
  const writing = new Map<string, Promise<unknown>>();
  const serialised = <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const run = (writing.get(key) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => {});
    writing.set(key, settled);
    void settled.then(() => {
      if (writing.get(key) === settled) writing.delete(key);
    });
    return run;
  };

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
      const intake = createBlobIntake(options);
      try {
        for await (const chunk of source) {
          intake.update(chunk);
          await handle.write(chunk);
        }
        const { digest, size } = intake.finish();
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
      return handle ? documentStream(handle) : undefined;
    },

    async statDocument(key) {
      return documentInfo(docPath(key));
    },

    async putDocument(key, data, condition) {
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
      if (condition && 'ifAbsent' in condition) {
        // link() refuses an existing target: create-if-absent is atomic even across processes.
        try {
          await link(temp, target).catch((error: NodeJS.ErrnoException) => {
            throw error.code === 'EEXIST' ? conflictError(key, condition) : error;
          });
        } finally {
          await rm(temp, { force: true });
        }
        return versionOf(await stat(target, { bigint: true }));
      }
      return serialised(key, async () => {
        const current = condition && (await documentInfo(target));
        if (!conditionHolds(condition, current?.version)) {
          await rm(temp, { force: true });
          throw conflictError(key, condition as NonNullable<typeof condition>);
        }
        await rename(temp, target);
        return versionOf(await stat(target, { bigint: true }));
      });
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

/** A new file is renamed into place on every write: its inode and mtime name the version. */
function versionOf(info: { ino: bigint; mtimeNs: bigint }): string {
  return `${info.ino}.${info.mtimeNs}`;
}

async function documentInfo(file: string): Promise<DocumentInfo | undefined> {
  try {
    const info = await stat(file, { bigint: true });
    if (!info.isFile()) return undefined;
    return {
      version: versionOf(info),
      size: Number(info.size),
      modified: new Date(Number(info.mtimeMs)),
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
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

/**
 * A document read in chunks of up to 1 MiB, sized to the document. Node's default of 64 KiB
 * sends a 58 MB served index in ~900 reads and socket writes, which cost Ballast twice the
 * CPU of the copy itself. Blobs keep the default: many clients download them at once, each
 * stream holding a chunk, where served indexes are few and large.
 */
async function documentStream(handle: FileHandle): Promise<Readable> {
  const { size } = await handle.stat().catch(async (error: unknown) => {
    await handle.close();
    throw error;
  });
  const highWaterMark = Math.min(Math.max(size, 16 * 1024), 1024 * 1024);
  return createReadStream('', { fd: handle, highWaterMark });
}
