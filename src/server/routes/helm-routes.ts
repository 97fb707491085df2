import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BallastError } from '../../errors/ballast-error.ts';
import type { RepoMirror } from '../../mirror/repo-mirror.ts';
import type { Store } from '../../store/store.ts';
import type { BlobMemoryCache } from '../blob-memory-cache.ts';
import { matchesEtag, negotiateEncoding, parseRange } from '../conditional.ts';

export interface HelmRoutesOptions {
  mirrors: ReadonlyMap<string, RepoMirror>;
  store: Store;
  blobCache: BlobMemoryCache;
}

const immutable = 'public, max-age=31536000, immutable';

/** The classic Helm repository face: `/{repo}/index.yaml` and `/{repo}/charts/{file}`. */
export function registerHelmRoutes(
  app: FastifyInstance,
  { mirrors, store, blobCache }: HelmRoutesOptions,
): void {
  const mirrorOf = (repo: string) => {
    const mirror = mirrors.get(repo);
    if (!mirror) throw new BallastError('BALLAST_REPO_NOT_FOUND', { repo });
    return mirror;
  };

  // GET and HEAD are declared together so that HEAD keeps the real Content-Length.
  app.route<{ Params: { repo: string } }>({
    method: ['GET', 'HEAD'],
    url: '/:repo/index.yaml',
    handler: async (request, reply) => {
      const view = await mirrorOf(request.params.repo).index(clientGone(reply));
      const { index } = view;
      const encoding = negotiateEncoding(request.headers['accept-encoding']);
      const body = encoding === 'br' ? index.brotli : encoding === 'gzip' ? index.gzip : index.body;
      const etag = encoding === 'identity' ? index.etag : `${index.etag.slice(0, -1)}-${encoding}"`;
      reply
        .header('content-type', 'text/yaml; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('vary', 'accept-encoding')
        .header('etag', etag)
        .header('ballast-index-age', Math.max(0, Math.round((Date.now() - view.checkedAt) / 1000)));
      if (view.staleBecause) reply.header('ballast-stale', view.staleBecause);
      if (
        matchesEtag(request.headers['if-none-match'], index.etag) ||
        matchesEtag(request.headers['if-none-match'], etag)
      ) {
        return reply.code(304).send();
      }
      if (encoding !== 'identity') reply.header('content-encoding', encoding);
      reply.header('content-length', body.length);
      return reply.send(request.method === 'HEAD' ? undefined : body);
    },
  });

  app.route<{ Params: { repo: string; file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/:repo/charts/:file',
    handler: async (request, reply) => {
      const mirror = mirrorOf(request.params.repo);
      const { file } = request.params;
      if (file.endsWith('.prov')) {
        const body = await mirror.provenance(file, clientGone(reply));
        return reply
          .header('content-type', 'application/pgp-signature')
          .header('cache-control', immutable)
          .send(body);
      }
      const blob = await mirror.chart(file, clientGone(reply));
      return sendBlob(request, reply, blob, { store, blobCache, contentType: 'application/gzip' });
    },
  });
}

/** Aborts when the client hangs up before its response is complete: its waits end with it. */
function clientGone(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('the client went away'));
  });
  return controller.signal;
}

async function sendBlob(
  request: FastifyRequest,
  reply: FastifyReply,
  blob: { digest: `sha256:${string}`; size: number },
  {
    store,
    blobCache,
    contentType,
  }: { store: Store; blobCache: BlobMemoryCache; contentType: string },
) {
  const etag = `"${blob.digest}"`;
  reply
    .header('content-type', contentType)
    .header('cache-control', immutable)
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
  return reply.send(await store.readBlob(blob.digest, whole ? undefined : { start, end }));
}
