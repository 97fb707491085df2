import { type Digest, isDigest, type Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/** What the store knows of one path of a file mirror; the bytes are the blob `digest`. */
export interface FileEntry {
  format: 1;
  /** The path as requested, under `/files/{mirror}/`. */
  path: string;
  digest: Digest;
  size: number;
  /** URL of the upstream it came from, safe to log. */
  upstream: string;
  /** How the bytes were checked before they were stored. */
  verifiedBy: 'checksum-file' | 'none' | 'is-checksum-file';
  fetchedAt: number;
  /** When an upstream last confirmed it (mutable paths; the fetch time for the others). */
  checkedAt: number;
  /** For conditional GETs of mutable paths, valid for `upstream` only. */
  validators?: { etag?: string; lastModified?: string };
}

export async function readFileEntry(
  store: Store,
  mirror: string,
  path: string,
): Promise<FileEntry | undefined> {
  const bytes = await store.getDocument(storeKeys.fileEntry(mirror, path));
  if (!bytes) return undefined;
  const entry = parseFileEntry(bytes);
  // A hash collision is not a worry; a document copied by hand under another key is.
  return entry?.path === path ? entry : undefined;
}

export async function writeFileEntry(
  store: Store,
  mirror: string,
  entry: FileEntry,
): Promise<void> {
  await store.putDocument(storeKeys.fileEntry(mirror, entry.path), JSON.stringify(entry));
}

/** Every entry of a mirror, sorted by path; unreadable documents are left out. */
export async function listFileEntries(store: Store, mirror: string): Promise<FileEntry[]> {
  const entries: FileEntry[] = [];
  for (const key of await store.listDocuments(storeKeys.fileEntries(mirror))) {
    const bytes = await store.getDocument(key);
    const entry = bytes && parseFileEntry(bytes);
    if (entry && key === storeKeys.fileEntry(mirror, entry.path)) entries.push(entry);
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The entry, or undefined when the document is not one (written by hand, another version). */
export function parseFileEntry(bytes: Uint8Array): FileEntry | undefined {
  try {
    const value = JSON.parse(Buffer.from(bytes).toString('utf8')) as Partial<FileEntry>;
    if (
      value.format !== 1 ||
      typeof value.path !== 'string' ||
      typeof value.digest !== 'string' ||
      !isDigest(value.digest) ||
      typeof value.size !== 'number' ||
      typeof value.checkedAt !== 'number'
    )
      return undefined;
    return value as FileEntry;
  } catch {
    return undefined;
  }
}
