import type { Readable } from 'node:stream';
import { BallastError } from '../errors/ballast-error.ts';

/** A digest in OCI form: `sha256:` followed by 64 lowercase hex characters. */
export type Digest = `sha256:${string}`;

export interface BlobInfo {
  digest: Digest;
  size: number;
}

/** A blob as a listing sees it: when it was last written, for grace periods. */
export interface ListedBlob extends BlobInfo {
  modified: Date;
}

export interface PutBlobOptions {
  /** When given, the bytes are committed only if they hash to this digest. */
  expectedDigest?: Digest;
  /** The write fails, and nothing is kept, past this many bytes. */
  maxBytes: number;
  /** For error messages: what the bytes are and where they came from. */
  what: string;
  source: string;
}

/** A document's new content: bytes, text, or a stream of chunks (large indexes). */
export type DocumentData = Buffer | string | AsyncIterable<Uint8Array>;

/**
 * One written state of a document: a generation counter (memory), the file's identity (fs)
 * or the object's ETag (S3). Opaque: only compared for equality.
 */
export interface DocumentInfo {
  version: string;
  size: number;
  modified: Date;
}

/**
 * A write that only happens if the document is as the writer last saw it: absent, or still at
 * the version it read. Replicas use it so an older one never overwrites a newer index.
 */
export type WriteCondition = { ifAbsent: true } | { ifVersion: string };

/** Inclusive byte range, as in HTTP. */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where Ballast keeps what it serves: immutable blobs addressed by their sha256, and small
 * mutable documents (indexes, metadata) addressed by key. Every implementation passes the
 * suite in store-contract.ts. Writes are atomic: a reader sees the old value or the new one,
 * never a part, and a blob is visible only once its digest is verified.
 */
export interface Store {
  statBlob(digest: Digest): Promise<BlobInfo | undefined>;
  /** A stream of the blob (or of a range of it); throws BALLAST_BLOB_NOT_FOUND. */
  readBlob(digest: Digest, range?: ByteRange): Promise<Readable>;
  putBlob(source: AsyncIterable<Uint8Array>, options: PutBlobOptions): Promise<BlobInfo>;
  /** Every stored blob, in no particular order, paging through the backend as it goes. */
  listBlobs(): AsyncIterable<ListedBlob>;
  /** Removes the blob; a blob that is already gone is not an error. */
  deleteBlob(digest: Digest): Promise<void>;
  getDocument(key: string): Promise<Buffer | undefined>;
  /** The document as a stream, for large ones (indexes); undefined when absent. */
  openDocument(key: string): Promise<Readable | undefined>;
  /** Metadata only (an S3 HEAD): cheap enough to ask whether another replica wrote it. */
  statDocument(key: string): Promise<DocumentInfo | undefined>;
  /**
   * Replaces the document whole and returns its new version. With a condition that does not
   * hold, nothing is written and BALLAST_STORE_CONFLICT is thrown. To replace what was read,
   * take the version from statDocument before reading the content.
   */
  putDocument(key: string, data: DocumentData, condition?: WriteCondition): Promise<string>;
  deleteDocument(key: string): Promise<void>;
  /** Keys that start with the prefix, sorted (paged through the backend, not on request paths). */
  listDocuments(prefix: string): Promise<string[]>;
  close(): Promise<void>;
}

const digestPattern = /^sha256:[0-9a-f]{64}$/;
const keyPattern = /^[a-z0-9][a-z0-9._+-]*(\/[a-z0-9][a-z0-9._+-]*)*$/i;

export function isDigest(value: string): value is Digest {
  return digestPattern.test(value);
}

/** Document keys are slash-separated names; no empty, dot or dot-dot segments. */
export function isDocumentKey(key: string): boolean {
  return (
    key.length <= 512 &&
    keyPattern.test(key) &&
    !key.split('/').some((s) => s === '.' || s === '..')
  );
}

/** The digest, checked: a malformed one never reaches a path or an object key. */
export function checkedDigest(digest: Digest): Digest {
  if (!isDigest(digest))
    throw new BallastError('BALLAST_STORE_KEY_INVALID', {
      key: digest,
      reason: 'not a sha256 digest',
    });
  return digest;
}

export function checkedDocumentKey(key: string): string {
  if (!isDocumentKey(key))
    throw new BallastError('BALLAST_STORE_KEY_INVALID', {
      key,
      reason: 'not a plain relative key',
    });
  return key;
}

/** Whether a document at `version` (undefined: absent) may be replaced under `condition`. */
export function conditionHolds(
  condition: WriteCondition | undefined,
  version: string | undefined,
): boolean {
  if (!condition) return true;
  if ('ifAbsent' in condition) return version === undefined;
  return version === condition.ifVersion;
}

export function conflictError(key: string, condition: WriteCondition): BallastError {
  return new BallastError('BALLAST_STORE_CONFLICT', {
    key,
    reason:
      'ifAbsent' in condition
        ? 'it exists already'
        : `it changed since version ${condition.ifVersion} was read`,
  });
}
