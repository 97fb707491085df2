import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { link, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { BallastError } from '../../errors/ballast-error.ts';
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

export interface FsStoreOptions {
  root: string;
}

/**
 * The filesystem store: `blobs/sha256/ab/<hex>`, `docs/<key>`, and `tmp/<pid>-<id>/` for
 * writes in progress. Every write goes to the process's own tmp folder, is fsynced, then
 * renamed into place, so a crash leaves at worst an orphan there, never a partial object.
 * Orphans of processes that are gone are cleared at start-up; another live process using the
 * same folder (a server while `ballast sync` runs) keeps its writes in progress.
 */
export async function createFsStore({ root }: FsStoreOptions): Promise<Store> {
  const tmpRoot = path.join(root, 'tmp');
  await mkdir(tmpRoot, { recursive: true });
  await clearOrphans(tmpRoot);
  const tmpDir = path.join(tmpRoot, `${process.pid}-${randomUUID().slice(0, 8)}`);
  await mkdir(tmpDir, { recursive: true });
  await mkdir(path.join(root, 'blobs', 'sha256'), { recursive: true });
  await mkdir(path.join(root, 'docs'), { recursive: true });

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
      const handle = await open(temp, 'wx');
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
        throw error;
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

    async statDocument(key) {
      return documentInfo(docPath(key));
    },

    async putDocument(key, data, condition) {
      const target = docPath(key);
      const temp = tmpPath();
      const handle = await open(temp, 'wx');
      try {
        if (typeof data === 'string' || Buffer.isBuffer(data)) {
          await handle.writeFile(data);
        } else {
          for await (const chunk of data) await handle.write(chunk);
        }
        await handle.sync();
      } catch (error) {
        await handle.close();
        await rm(temp, { force: true });
        throw error;
      }
      await handle.close();
      await mkdir(path.dirname(target), { recursive: true });
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

async function clearOrphans(tmpRoot: string): Promise<void> {
  for (const entry of await readdir(tmpRoot)) {
    const pid = Number(/^(\d+)-/.exec(entry)?.[1]);
    if (pid > 0 && pid !== process.pid && isAlive(pid)) continue;
    await rm(path.join(tmpRoot, entry), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
