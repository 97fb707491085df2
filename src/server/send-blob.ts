import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Digest, Store } from '../store/store.ts';
import type { BlobMemoryCache } from './blob-memory-cache.ts';
import { matchesEtag, parseRange } from './conditional.ts';

export const immutableCacheControl = 'public, max-age=31536000, immutable';

export interface SendBlobOptions {
  store: Store;
  blobCache: BlobMemoryCache;
  contentType: string;
  /** Defaults to immutable: content addressed by digest never changes. */
  cacheControl?: string;
}

/**
 * Answers GET or HEAD with a stored blob: strong ETag (its digest) and 304, single byte
 * ranges (206, 416), small blobs from memory and large ones streamed from the store.
 */
export async function sendBlob(
  request: FastifyRequest,
  reply: FastifyReply,
  blob: { digest: Digest; size: number },
  { store, blobCache, contentType, cacheControl = immutableCacheControl }: SendBlobOptions,
) {
  const etag = `"${blob.digest}"`;
  reply
    .header('content-type', contentType)
    .header('cache-control', cacheControl)
    .header('etag', etag)
    .header('accept-ranges', 'bytes')
    .header('docker-content-digest', blob.digest);
  if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
  const range = parseRange(request.headers.range, blob.size);
  if (range === 'unsatisfiable') {
    return reply.code(416).header('content-range', `bytes */${blob.size}`).send();
  }
  const whole = range === undefined;
  const start = range?.start ?? 0;
  const end = range?.end ?? blob.size - 1;
  if (!whole) reply.code(206).header('content-range', `bytes ${start}-${end}/${blob.size}`);
  reply.header('content-length', end - start + 1);
  if (request.method === 'HEAD') return reply.send();
  const cached = await blobCache.get(blob.digest, blob.size);
  if (cached) return reply.send(whole ? cached : cached.subarray(start, end + 1));
  // An empty blob has no bytes to read a range of.
  if (blob.size === 0) return reply.send(Buffer.alloc(0));
  return reply.send(await store.readBlob(blob.digest, whole ? undefined : { start, end }));
}

/** Aborts when the client hangs up before its response is complete: its waits end with it. */
export function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client went away'));
  });
  return controller.signal;
}
