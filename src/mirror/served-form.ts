import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { setTimeout as delay } from 'node:timers/promises';
import type { Store } from '../store/store.ts';
import { runIndexCompression } from './run-index-build.ts';
import {
  type CompressedForms,
  etagOf,
  type StoredBody,
  type StoredServedIndex,
  servedIndexOf,
  smallIndexBytes,
} from './served-index.ts';
import { spoolIndex } from './stored-index.ts';

/** Which stored upstream document (by its fetch time) a served form was built from. */
export interface FormSource {
  url: string;
  fetchedAt: number;
}

/** The served index as kept across restarts, with what it was built from. */
export interface ServedForm {
  /** Upstream URLs it was built from, in the configured order. */
  from: string[];
  /** When an upstream last confirmed it. */
  checkedAt: number;
  sources: FormSource[];
  index: StoredServedIndex;
}

interface FormDocument {
  format: 2;
  from: string[];
  checkedAt: number;
  sources: FormSource[];
  identity: StoredBody;
  table: StoredBody;
  versions: number;
  gzip?: StoredBody;
  brotli?: StoredBody;
}

const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');

/**
 * One small document, one atomic write: a header line with the sha256 of the rest, then
 * where the served index came from and the digests of its body, its table and its
 * compressed forms, each a document of its own.
 */
export async function saveServedForm(store: Store, key: string, form: ServedForm): Promise<void> {
  const { index } = form;
  const document: FormDocument = {
    format: 2,
    from: form.from,
    checkedAt: form.checkedAt,
    sources: form.sources,
    identity: index.identity,
    table: index.table,
    versions: index.versions,
    ...(index.compressed ? index.compressed.stored : {}),
  };
  const body = JSON.stringify(document);
  await store.putDocument(key, `${JSON.stringify({ sha256: sha256(body) })}\n${body}`);
}

/**
 * What the check after the first serve found: an identity body that does not hash to its
 * digest (the index must be rebuilt), and the compressed forms read back when intact.
 */
export interface BodyCheck {
  altered?: string;
  /** The large body could not be read to hash it (the store failing, not the bytes): kept. */
  unchecked?: string;
  compressed?: CompressedForms;
  /** Stored compressed forms that failed their digests: they are only made again. */
  compressedAltered?: string;
}

export type LoadedForm =
  | { form: ServedForm; check(): Promise<BodyCheck> }
  | { absent: true }
  | { corrupt: string };

/**
 * Reads a served form back without reading its large bodies: the document against its own
 * checksum, a small body and its table against their digests, a large body by its size (one
 * stat), its table being read meanwhile (`tableRead`). `check` then streams the large body
 * through its digest and reads the compressed forms; the caller serves in the meantime and
 * rebuilds on what it reports.
 */
export async function loadServedForm(store: Store, key: string): Promise<LoadedForm> {
  const raw = await store.getDocument(key);
  if (!raw) return { absent: true };
  const newline = raw.indexOf(0x0a);
  let document: FormDocument;
  try {
    const header = JSON.parse(raw.subarray(0, newline).toString()) as { sha256?: string };
    const body = raw.subarray(newline + 1);
    if (newline < 0 || header.sha256 !== sha256(body))
      return { corrupt: 'the document does not match its checksum' };
    document = JSON.parse(body.toString()) as FormDocument;
    if (document.format !== 2) return { corrupt: `format ${String(document.format)}` };
  } catch (error) {
    return { corrupt: `unreadable: ${(error as Error).message}` };
  }
  const small = document.identity.size <= smallIndexBytes;
  const stored =
    document.gzip && document.brotli ? { gzip: document.gzip, brotli: document.brotli } : undefined;
  // A large index's table (18 MB for 100,000 versions) is read behind the first serve.
  const tableRead = readVerified(store, document.table);
  const [identity, compressed] = await Promise.all([
    small ? readVerified(store, document.identity) : hasSize(store, document.identity),
    small && stored ? readCompressed(store, stored) : undefined,
  ]);
  if (!identity) return { corrupt: `body ${document.identity.digest} is missing or altered` };
  const table = small ? await tableRead : tableRead;
  if (!table) return { corrupt: `table ${document.table.digest} is missing or altered` };

  const index = servedIndexOf(
    {
      identity: document.identity,
      table: document.table,
      versions: document.versions,
      bytes: document.identity.size,
      etag: etagOf(document.identity.digest),
      ...(Buffer.isBuffer(identity) ? { body: identity } : {}),
      ...(compressed ? { compressed } : {}),
    },
    table,
  );
  const check = async (): Promise<BodyCheck> => {
    if ((await index.tableRead) === false)
      return { altered: `table ${document.table.digest} is missing or altered` };
    if (!small) {
      const matches = await bodyMatchesRetried(store, document.identity);
      if (matches === false)
        return { altered: `body ${document.identity.digest} is missing or altered` };
      if (matches !== true) return { unchecked: `body ${document.identity.digest}: ${matches}` };
    }
    if (index.compressed || !stored) return {};
    const forms = await readCompressed(store, stored);
    return forms
      ? { compressed: forms }
      : { compressedAltered: `compressed forms of ${document.identity.digest}` };
  };
  const { from, checkedAt, sources } = document;
  return { form: { from, checkedAt, sources, index }, check };
}

async function hasSize(store: Store, body: StoredBody): Promise<boolean> {
  const info = await store.statDocument(body.key).catch(() => undefined);
  return info?.size === body.size;
}

async function readCompressed(
  store: Store,
  stored: CompressedForms['stored'],
): Promise<CompressedForms | undefined> {
  const [gzip, brotli] = await Promise.all([
    readVerified(store, stored.gzip),
    readVerified(store, stored.brotli),
  ]);
  return gzip && brotli ? { gzip, brotli, stored } : undefined;
}

/** Waits between reads of a large body that failed to read: a store's bad moment passes. */
const bodyReadRetryMs = [500, 2000] as const;

/**
 * Whether a large body hashes to its digest. A missing or different body is `false`; a read
 * that keeps failing says nothing about the bytes, so it is the last error's message, after
 * the retries, rather than a rebuild of a body that may be intact.
 */
async function bodyMatchesRetried(store: Store, body: StoredBody): Promise<boolean | string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await bodyMatches(store, body);
    } catch (error) {
      const wait = bodyReadRetryMs[attempt];
      if (wait === undefined) return (error as Error).message;
      await delay(wait);
    }
  }
}

async function bodyMatches(store: Store, body: StoredBody): Promise<boolean> {
  const stream = await store.openDocument(body.key);
  if (!stream) return false;
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return size === body.size && `sha256:${hash.digest('hex')}` === body.digest;
}

async function readVerified(store: Store, body: StoredBody): Promise<Buffer | undefined> {
  const bytes = await store.getDocument(body.key).catch(() => undefined);
  return bytes && `sha256:${sha256(bytes)}` === body.digest ? bytes : undefined;
}

/**
 * The gzip and brotli forms of the identity body, made in a child process from a copy of it
 * and stored next to it. A large index is served as identity meanwhile.
 */
export async function compressServedIndex(
  store: Store,
  index: StoredServedIndex,
): Promise<CompressedForms> {
  const identity = index.body
    ? Readable.from([index.body])
    : await store.openDocument(index.identity.key);
  if (!identity) throw new Error(`the served index ${index.identity.key} is gone`);
  const spooled = await spoolIndex(identity);
  try {
    const files = await runIndexCompression(spooled.file);
    const keep = async (file: string, suffix: string) => {
      const bytes = await readFile(file);
      const stored: StoredBody = {
        key: `${index.identity.key}${suffix}`,
        digest: `sha256:${sha256(bytes)}`,
        size: bytes.length,
      };
      await store.putDocument(stored.key, bytes);
      return { bytes, stored };
    };
    const gzip = await keep(files.gzip, '.gz');
    const brotli = await keep(files.brotli, '.br');
    return {
      gzip: gzip.bytes,
      brotli: brotli.bytes,
      stored: { gzip: gzip.stored, brotli: brotli.stored },
    };
  } finally {
    await spooled.dispose();
  }
}
