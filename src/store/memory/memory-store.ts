import { Readable } from 'node:stream';
import { BallastError } from '../../errors/ballast-error.ts';
import { createBlobIntake } from '../blob-intake.ts';
import {
  checkedDigest,
  checkedDocumentKey,
  conditionHolds,
  conflictError,
  type Digest,
  type DocumentData,
  type Store,
} from '../store.ts';

interface Stored {
  bytes: Buffer;
  modified: Date;
  generation: number;
}

/**
 * A store in this process's memory: for tests and for trying Ballast out, never for data
 * that must outlive the process. Document versions are generations of a counter.
 */
export function createMemoryStore(): Store {
  const blobs = new Map<Digest, Stored>();
  const documents = new Map<string, Stored>();
  let generation = 0;

  const blob = (digest: Digest) => {
    const found = blobs.get(checkedDigest(digest));
    if (!found) throw new BallastError('BALLAST_BLOB_NOT_FOUND', { digest });
    return found;
  };

  return {
    async statBlob(digest) {
      const found = blobs.get(checkedDigest(digest));
      return found ? { digest, size: found.bytes.length } : undefined;
    },

    async readBlob(digest, range) {
      const { bytes } = blob(digest);
      return Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]);
    },

    async putBlob(source, options) {
      const intake = createBlobIntake(options);
      const chunks: Buffer[] = [];
      for await (const chunk of source) {
        intake.update(chunk);
        chunks.push(Buffer.from(chunk));
      }
      const { digest, size } = intake.finish();
      if (!blobs.has(digest)) {
        blobs.set(digest, { bytes: Buffer.concat(chunks), modified: new Date(), generation });
      }
      return { digest, size };
    },

    async *listBlobs() {
      for (const [digest, { bytes, modified }] of blobs) {
        yield { digest, size: bytes.length, modified };
      }
    },

    async deleteBlob(digest) {
      blobs.delete(checkedDigest(digest));
    },

    async getDocument(key) {
      return documents.get(checkedDocumentKey(key))?.bytes;
    },

    async openDocument(key) {
      const found = documents.get(checkedDocumentKey(key));
      return found ? Readable.from([found.bytes]) : undefined;
    },

    async statDocument(key) {
      const found = documents.get(checkedDocumentKey(key));
      return found
        ? { version: String(found.generation), size: found.bytes.length, modified: found.modified }
        : undefined;
    },

    async putDocument(key, data, condition) {
      checkedDocumentKey(key);
      const bytes = await collect(data);
      // Checked after the data is in: another write may have landed while it streamed.
      const current = documents.get(key);
      if (!conditionHolds(condition, current && String(current.generation))) {
        throw conflictError(key, condition as NonNullable<typeof condition>);
      }
      generation += 1;
      documents.set(key, { bytes, modified: new Date(), generation });
      return String(generation);
    },

    async deleteDocument(key) {
      documents.delete(checkedDocumentKey(key));
    },

    async listDocuments(prefix) {
      return [...documents.keys()].filter((key) => key.startsWith(prefix)).sort();
    },

    async close() {},
  };
}

async function collect(data: DocumentData): Promise<Buffer> {
  if (typeof data === 'string') return Buffer.from(data);
  if (Buffer.isBuffer(data)) return Buffer.from(data);
  const chunks: Buffer[] = [];
  for await (const chunk of data) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
