import { pipeline, Transform } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StoredBody } from '../mirror/served-index.ts';
import type { Store } from '../store/store.ts';
import { type Encoding, matchesEtag, negotiateEncoding, parseRange } from './conditional.ts';

/** An index body to answer with: identity from memory or from a stored blob, and its compressed forms. */
export interface IndexBody {
  /** Strong validator of the identity body; the compressed forms get their own from it. */
  etag: string;
  identity: Buffer | StoredBody;
  gzip?: Buffer;
  brotli?: Buffer;
}

/**
 * Answers GET or HEAD for an index: the encoding the client asks for when it is ready, else
 * identity; a strong ETag per encoding and 304; Content-Length; single byte ranges of the
 * chosen encoding. A stored identity body is streamed from the store as it is.
 */
export async function sendIndexBody(
  request: FastifyRequest,
  reply: FastifyReply,
  body: IndexBody,
  store: Store,
) {
  let encoding: Encoding = negotiateEncoding(request.headers['accept-encoding']);
  const compressed = encoding === 'br' ? body.brotli : encoding === 'gzip' ? body.gzip : undefined;
  if (!compressed) encoding = 'identity';
  const etag = encoding === 'identity' ? body.etag : `${body.etag.slice(0, -1)}-${encoding}"`;
  reply
    .header('content-type', 'text/yaml; charset=utf-8')
    .header('cache-control', 'no-cache')
    .header('vary', 'accept-encoding')
    .header('accept-ranges', 'bytes')
    .header('etag', etag);
  const ifNoneMatch = request.headers['if-none-match'];
  if (matchesEtag(ifNoneMatch, body.etag) || matchesEtag(ifNoneMatch, etag)) {
    return reply.code(304).send();
  }
  if (compressed) reply.header('content-encoding', encoding);
  const { identity } = body;
  const size = compressed?.length ?? (Buffer.isBuffer(identity) ? identity.length : identity.size);
  const range = parseRange(request.headers.range, size);
  if (range === 'unsatisfiable') {
    return reply.code(416).header('content-range', `bytes */${size}`).send();
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  if (range) reply.code(206).header('content-range', `bytes ${start}-${end}/${size}`);
  reply.header('content-length', end - start + 1);
  if (request.method === 'HEAD') return reply.send();
  const inMemory = compressed ?? (Buffer.isBuffer(identity) ? identity : undefined);
  if (inMemory) return reply.send(range ? inMemory.subarray(start, end + 1) : inMemory);
  const { key } = identity as StoredBody;
  const stream = await store.openDocument(key);
  if (!stream) throw new Error(`the served index ${key} is gone`);
  // pipeline, not pipe: a read error ends the response instead of leaving it hanging.
  return reply.send(range ? pipeline(stream, byteRange(start, end), () => {}) : stream);
}

/** Passes on bytes start..end (inclusive) of what flows through; documents have no ranged read. */
function byteRange(start: number, end: number): Transform {
  let offset = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const from = Math.max(start - offset, 0);
      const to = Math.min(end + 1 - offset, chunk.length);
      offset += chunk.length;
      done(null, from < to ? chunk.subarray(from, to) : undefined);
    },
  });
}
