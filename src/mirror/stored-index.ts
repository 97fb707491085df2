import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import type { IndexValidators } from '../upstream/classic-repo-client.ts';

/** What Ballast keeps of a repository's last good index, besides the upstream's bytes. */
export interface StoredIndexMeta {
  format: 2;
  fetchedAt: number;
  upstream: string;
  validators: IndexValidators;
  /** Chart versions the guard counted in it. */
  versions: number;
}

/** An upstream index parked in a temporary file while it is parsed and stored. */
export interface SpooledIndex {
  file: string;
  dispose(): Promise<void>;
}

/**
 * Upstream indexes reach tens of MB. They go from the socket to a temporary file, the
 * parser reads that file in a child process, and the store copies it from there: the
 * server itself never holds the raw index in memory.
 */
export async function spoolIndex(source: AsyncIterable<Uint8Array>): Promise<SpooledIndex> {
  const dir = await mkdtemp(path.join(tmpdir(), 'ballast-index-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  const file = path.join(dir, 'index.yaml');
  const handle = await open(file, 'wx');
  try {
    for await (const chunk of source) await handle.write(chunk);
  } catch (error) {
    await handle.close();
    await dispose();
    throw error;
  }
  await handle.close();
  return { file, dispose };
}

/**
 * The stored document is a JSON header line followed by the upstream's index exactly as
 * received: one atomic write replaces both, and a restart rebuilds the served index from
 * the same bytes the guard accepted.
 */
export async function* storedIndexDocument(
  meta: StoredIndexMeta,
  spooled: SpooledIndex,
): AsyncGenerator<Buffer> {
  yield Buffer.from(`${JSON.stringify(meta)}\n`);
  yield* createReadStream(spooled.file);
}

/** Splits a stored document back into its header and a spooled copy of the index. */
export async function unspoolStoredIndex(
  document: Readable,
): Promise<{ meta: StoredIndexMeta; spooled: SpooledIndex }> {
  let header = '';
  let meta: StoredIndexMeta | undefined;
  async function* body() {
    for await (const chunk of document as AsyncIterable<Buffer>) {
      if (meta) {
        yield chunk;
        continue;
      }
      const newline = chunk.indexOf(0x0a);
      if (newline < 0) {
        header += chunk.toString('utf8');
        if (header.length > 64 * 1024) throw new Error('stored index has no header line');
        continue;
      }
      header += chunk.subarray(0, newline).toString('utf8');
      meta = JSON.parse(header) as StoredIndexMeta;
      if (meta.format !== 2)
        throw new Error(`stored index has format ${String(meta.format)}, expected 2`);
      yield chunk.subarray(newline + 1);
    }
  }
  const spooled = await spoolIndex(body());
  if (!meta) {
    await spooled.dispose();
    throw new Error('stored index has no header line');
  }
  return { meta, spooled };
}

/** Only the header of a stored document; the rest is not read. */
export async function readStoredIndexMeta(document: Readable): Promise<StoredIndexMeta> {
  let header = '';
  try {
    for await (const chunk of document as AsyncIterable<Buffer>) {
      const newline = chunk.indexOf(0x0a);
      header += chunk.subarray(0, newline < 0 ? chunk.length : newline).toString('utf8');
      if (newline >= 0) return JSON.parse(header) as StoredIndexMeta;
      if (header.length > 64 * 1024) break;
    }
  } finally {
    document.destroy();
  }
  throw new Error('stored index has no header line');
}
