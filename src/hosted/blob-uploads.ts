import { randomBytes, randomUUID } from 'node:crypto';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { BlobInfo, ByteRange, Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/** How far an upload has come: the bytes received so far. */
export interface UploadStatus {
  id: string;
  size: number;
}

/**
 * Blob uploads of the OCI distribution spec, for one `{repo}/{chart}` name each. Everything an
 * upload is (its state and its chunks) lives in the store, so a replica other than the one
 * that started it can take the next chunk; the state is replaced only on the version last
 * read, so two replicas racing for one offset cannot both win.
 */
export interface BlobUploads {
  start(name: string): Promise<UploadStatus>;
  status(name: string, id: string): Promise<UploadStatus>;
  /** Adds a chunk; with a `range` (Content-Range) it must start where the upload ends. */
  append(
    name: string,
    id: string,
    body: AsyncIterable<Uint8Array>,
    options: { range?: ByteRange; maxBytes: number },
  ): Promise<UploadStatus>;
  /** Adds the last chunk if any, verifies the digest, stores the blob and ends the upload. */
  finish(
    name: string,
    id: string,
    digest: Digest,
    body: AsyncIterable<Uint8Array> | undefined,
    maxBytes: number,
  ): Promise<BlobInfo>;
  cancel(name: string, id: string): Promise<void>;
  /** A whole blob in one request (`POST ?digest=`), with no upload state at all. */
  putWhole(
    name: string,
    body: AsyncIterable<Uint8Array>,
    digest: Digest,
    maxBytes: number,
  ): Promise<BlobInfo>;
}

interface UploadState {
  name: string;
  size: number;
  /** The chunks in order: the offset each starts at and the nonce of its key. */
  parts: { start: number; nonce: string }[];
  created: string;
}

/** Tiny chunks would each cost a document; a client sending this many is refused. */
const maxParts = 10_000;
const idPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createBlobUploads(store: Store, now: () => Date = () => new Date()): BlobUploads {
  const unknown = (name: string, id: string) =>
    new BallastError('BALLAST_UPLOAD_UNKNOWN', { name, id });
  const rangeInvalid = (id: string, reason: string) =>
    new BallastError('BALLAST_UPLOAD_RANGE_INVALID', { id, reason });

  /** The upload's state and the version it was read at; unknown ids never reach a key. */
  const read = async (name: string, id: string) => {
    if (!idPattern.test(id)) throw unknown(name, id);
    const key = storeKeys.uploadState(id);
    const info = await store.statDocument(key);
    const bytes = info && (await store.getDocument(key));
    if (!info || !bytes) throw unknown(name, id);
    const state = JSON.parse(bytes.toString('utf8')) as UploadState;
    // An upload belongs to the name it was started for: another name cannot finish it.
    if (state.name !== name) throw unknown(name, id);
    return { state, version: info.version };
  };

  const drop = async (id: string) => {
    await store.deleteDocument(storeKeys.uploadState(id));
    for (const key of await store.listDocuments(`${storeKeys.uploads}${id}/`))
      await store.deleteDocument(key);
  };

  const append: BlobUploads['append'] = async (name, id, body, { range, maxBytes }) => {
    const { state, version } = await read(name, id);
    if (range && range.start !== state.size)
      throw rangeInvalid(
        id,
        `the chunk starts at ${range.start}, the upload holds ${state.size} bytes`,
      );
    const bytes = await readLimited(body, maxBytes - state.size, () => tooLarge(name, maxBytes));
    if (range && range.end - range.start + 1 !== bytes.length)
      throw rangeInvalid(
        id,
        `Content-Range ${range.start}-${range.end} does not cover the ${bytes.length} bytes sent`,
      );
    if (bytes.length === 0) return { id, size: state.size };
    if (state.parts.length >= maxParts)
      throw rangeInvalid(id, `more than ${maxParts} chunks; send larger ones`);
    const nonce = randomBytes(4).toString('hex');
    await store.putDocument(storeKeys.uploadChunk(id, state.size, nonce), bytes);
    const next: UploadState = {
      ...state,
      size: state.size + bytes.length,
      parts: [...state.parts, { start: state.size, nonce }],
    };
    try {
      await store.putDocument(storeKeys.uploadState(id), JSON.stringify(next), {
        ifVersion: version,
      });
    } catch (error) {
      if (!isBallastError(error, 'BALLAST_STORE_CONFLICT')) throw error;
      await store.deleteDocument(storeKeys.uploadChunk(id, state.size, nonce));
      throw rangeInvalid(id, 'another chunk for this offset arrived first');
    }
    return { id, size: next.size };
  };

  const storeBlob = async (
    name: string,
    source: AsyncIterable<Uint8Array>,
    digest: Digest,
    maxBytes: number,
  ) => {
    try {
      return await store.putBlob(source, {
        expectedDigest: digest,
        maxBytes,
        what: `the blob uploaded to ${name}`,
        source: 'a client',
      });
    } catch (error) {
      if (isBallastError(error, 'BALLAST_DIGEST_MISMATCH'))
        throw new BallastError('BALLAST_UPLOAD_DIGEST_MISMATCH', { expected: digest });
      if (isBallastError(error, 'BALLAST_BODY_TOO_LARGE')) throw tooLarge(name, maxBytes);
      throw error;
    }
  };

  return {
    async start(name) {
      const id = randomUUID();
      const state: UploadState = { name, size: 0, parts: [], created: now().toISOString() };
      await store.putDocument(storeKeys.uploadState(id), JSON.stringify(state), { ifAbsent: true });
      return { id, size: 0 };
    },
    async status(name, id) {
      const { state } = await read(name, id);
      return { id, size: state.size };
    },
    append,
    async finish(name, id, digest, body, maxBytes) {
      if (body) await append(name, id, body, { maxBytes });
      const { state } = await read(name, id);
      async function* chunks() {
        for (const { start, nonce } of state.parts) {
          const bytes = await store.getDocument(storeKeys.uploadChunk(id, start, nonce));
          if (!bytes) throw unknown(name, id); // cancelled or swept meanwhile
          yield bytes;
        }
      }
      try {
        return await storeBlob(name, chunks(), digest, maxBytes);
      } finally {
        await drop(id);
      }
    },
    async cancel(name, id) {
      await read(name, id);
      await drop(id);
    },
    putWhole: storeBlob,
  };
}

/** Past the repo's `maxUploadSize`; `name` is `{repo}/{chart}`. */
function tooLarge(name: string, limit: number): BallastError {
  return new BallastError('BALLAST_UPLOAD_TOO_LARGE', { limit, repo: name.split('/')[0] });
}

/** The whole body, refused with `tooBig()` past `room` bytes. */
export async function readLimited(
  body: AsyncIterable<Uint8Array>,
  room: number,
  tooBig: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.byteLength;
    if (size > room) throw tooBig();
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}
