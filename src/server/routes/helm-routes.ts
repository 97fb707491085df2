import type { FastifyInstance } from 'fastify';
import { BallastError } from '../../errors/ballast-error.ts';
import type { RepoMirror } from '../../mirror/repo-mirror.ts';
import type { Store } from '../../store/store.ts';
import type { BlobMemoryCache } from '../blob-memory-cache.ts';
import { clientGone, immutableCacheControl as immutable, sendBlob } from '../send-blob.ts';
import { sendIndexBody } from '../send-index.ts';

export interface HelmRoutesOptions {
  mirrors: ReadonlyMap<string, RepoMirror>;
  store: Store;
  blobCache: BlobMemoryCache;
}

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
      reply.header(
        'ballast-index-age',
        Math.max(0, Math.round((Date.now() - view.checkedAt) / 1000)),
      );
      if (view.staleBecause) reply.header('ballast-stale', view.staleBecause);
      const body = {
        etag: index.etag,
        identity: index.body ?? index.identity,
        ...(index.compressed
          ? { gzip: index.compressed.gzip, brotli: index.compressed.brotli }
          : {}),
      };
      return sendIndexBody(request, reply, body, store);
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
