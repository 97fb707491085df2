import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { type Extract, extract } from 'tar-stream';
import { ChartFormatError } from './chart-format-error.ts';

export interface ArchiveScanLimits {
  /** Bytes of tar read (after gunzip), all entries together: a gzip bomb stops here. */
  maxUnpackedBytes: number;
  /** Tar entries looked at, directories included. */
  maxEntries: number;
}

/** One tar entry as the scan hands it on: its path already checked and split. */
export interface ArchiveEntry {
  /** The path as the archive spells it, for messages. */
  name: string;
  /** Its segments, without empty ones and `.` after the first; never `..`. */
  parts: readonly string[];
  /** tar-stream's type (`file`, `directory`, `symlink`, `link`, …), `unknown` for other flags. */
  type: string;
  size: number;
  linkname: string | undefined;
  /** The entry's bytes; left unread, they are skipped. */
  body: AsyncIterable<Buffer>;
}

/** What a visitor answers: `stop` ends the scan early (the rest is neither read nor checked). */
export type EntryVisitor = (entry: ArchiveEntry) => Promise<'stop' | undefined>;

/**
 * Walks a gzip'd tar entry by entry, bounded by `limits`, and hands every entry to `visit`.
 * Refuses, with ChartFormatError and the reason: bytes that are not gzip, a tar that is
 * unreadable or ends inside an entry, too many entries or unpacked bytes, and a path that is
 * absolute, steps out with `..`, or holds a backslash or NUL.
 */
export async function scanChartArchive(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  limits: ArchiveScanLimits,
  visit: EntryVisitor,
): Promise<void> {
  const tar = extract();
  const stop = new AbortController();
  const feeding = feed(archive, tar, limits, stop.signal).catch((error: unknown) => {
    if (!stop.signal.aborted) tar.destroy(asFormatError(error));
  });
  let entries = 0;
  try {
    for await (const entry of tar) {
      entries += 1;
      if (entries > limits.maxEntries)
        throw new ChartFormatError(`the archive has more than ${limits.maxEntries} entries`);
      const { name, type, size, linkname } = entry.header;
      const problem = unsafePathReason(name);
      if (problem) throw new ChartFormatError(`archive entry ${JSON.stringify(name)} ${problem}`);
      // A leading `.` is kept: Helm takes it for the chart's directory, and so must callers.
      const parts = name.split('/').filter((part, i) => part !== '' && (part !== '.' || i === 0));
      const answer = await visit({
        name,
        parts,
        type: type ?? 'unknown',
        size: size ?? 0,
        linkname: linkname ?? undefined,
        body: entry as AsyncIterable<Buffer>,
      });
      if (answer === 'stop') return;
      entry.resume();
    }
  } catch (error) {
    throw asFormatError(error);
  } finally {
    stop.abort();
    tar.destroy();
    await feeding;
  }
}

/** Reads an entry's bytes, refusing more than `limit` (the header's size may lie). */
export async function readEntry(entry: ArchiveEntry, limit: number): Promise<Buffer> {
  if (entry.size > limit) throw new ChartFormatError(`${entry.name} is larger than ${limit} bytes`);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of entry.body) {
    total += chunk.length;
    if (total > limit) throw new ChartFormatError(`${entry.name} is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

async function feed(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  tar: Extract,
  limits: ArchiveScanLimits,
  signal: AbortSignal,
): Promise<void> {
  const source =
    archive instanceof Uint8Array ? Readable.from([Buffer.from(archive)]) : Readable.from(archive);
  await pipeline(
    source,
    createGunzip(),
    async (inflated: AsyncIterable<Buffer>) => {
      let total = 0;
      for await (const chunk of inflated) {
        total += chunk.length;
        if (total > limits.maxUnpackedBytes)
          throw new ChartFormatError(
            `the archive unpacks to more than ${limits.maxUnpackedBytes} bytes`,
          );
        if (!tar.write(chunk)) await drained(tar);
        if (tar.destroyed) return;
      }
      (tar as unknown as { end(): void }).end();
    },
    { signal },
  );
}

function drained(tar: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      tar.off('drain', done);
      tar.off('close', done);
      resolve();
    };
    tar.on('drain', done);
    tar.on('close', done);
  });
}

function unsafePathReason(name: string): string | undefined {
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return 'is an absolute path';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.split('/').includes('..')) return 'steps outside the chart with ".."';
  if (name.includes('\0')) return 'contains NUL';
  return undefined;
}

function asFormatError(error: unknown): Error {
  if (error instanceof ChartFormatError) return error;
  const code = (error as { code?: string }).code ?? '';
  if (code === 'Z_BUF_ERROR')
    return new ChartFormatError('the archive is truncated: the gzip stream ends early');
  if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED')
    return new ChartFormatError(`the archive is not valid gzip (${code})`);
  const message = error instanceof Error ? error.message : String(error);
  if (message === 'Unexpected end of data')
    return new ChartFormatError('the archive is truncated: the tar ends inside an entry');
  return new ChartFormatError(`the archive is not a readable tar: ${message}`);
}
