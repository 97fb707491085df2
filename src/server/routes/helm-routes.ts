import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BallastError } from '../../errors/ballast-error.ts';
import type { RepoMirror } from '../../mirror/repo-mirror.ts';
import { identityStream } from '../../mirror/served-index.ts';
import type { Store } from '../../store/store.ts';
import type { AuthGuard } from '../auth-guard.ts';
import type { BlobMemoryCache } from '../blob-memory-cache.ts';
import { matchesEtag, negotiateEncoding } from '../conditional.ts';
import { clientGone, immutableCacheControl as immutable, sendBlob } from '../send-blob.ts';

export interface HelmRoutesOptions {
  mirrors: ReadonlyMap<string, RepoMirror>;
  store: Store;
  blobCache: BlobMemoryCache;
  /** Access checks; without one every repo is read anonymously. */
  guard?: AuthGuard;
}

/** The classic Helm repository face: `/{repo}/index.yaml` and `/{repo}/charts/{file}`. */
export function registerHelmRoutes(
  app: FastifyInstance,
  { mirrors, store, blobCache, guard }: HelmRoutesOptions,
): void {
  // Runs before the handler, so a private repo's index or chart is never fetched for nobody;
  // absent when no repo can be private.
  const preHandler =
    guard &&
    (async (request: FastifyRequest<{ Params: { repo: string } }>, reply: FastifyReply) =>
      guard.classicRead(request, reply, request.params.repo));

  const mirrorOf = (repo: string) => {
    const mirror = mirrors.get(repo);
    if (!mirror) throw new BallastError('BALLAST_REPO_NOT_FOUND', { repo });
    return mirror;
  };

  // GET and HEAD are declared together so that HEAD keeps the real Content-Length.
  app.route<{ Params: { repo: string } }>({
    method: ['GET', 'HEAD'],
    url: '/:repo/index.yaml',
    preHandler,
    handler: async (request, reply) => {
      const view = await mirrorOf(request.params.repo).index(clientGone(reply));
      const { index } = view;
      const encoding = negotiateEncoding(request.headers['accept-encoding']);
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
      const compressed =
        encoding === 'br' ? index.brotli : encoding === 'gzip' ? index.gzip : undefined;
      if (compressed) reply.header('content-encoding', encoding);
      reply.header('content-length', compressed?.length ?? index.bytes);
      if (request.method === 'HEAD') return reply.send();
      return reply.send(compressed ?? identityStream(index));
    },
  });

  app.route<{ Params: { repo: string; file: string } }>({
    method: ['GET', 'HEAD'],
    url: '/:repo/charts/:file',
    preHandler,
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
