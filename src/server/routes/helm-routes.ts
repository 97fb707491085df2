import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BallastError } from '../../errors/ballast-error.ts';
import type { ChartRepo } from '../../mirror/chart-repo.ts';
import { type ViewSpec, viewFromQuery } from '../../mirror/index-view.ts';
import { identityOf } from '../../mirror/served-index.ts';
import type { Store } from '../../store/store.ts';
import type { AuthGuard } from '../auth-guard.ts';
import type { BlobMemoryCache } from '../blob-memory-cache.ts';
import { createIndexViewCache } from '../index-view-cache.ts';
import { clientGone, immutableCacheControl as immutable, sendBlob } from '../send-blob.ts';
import { type IndexBody, sendIndexBody } from '../send-index.ts';

export interface HelmRoutesOptions {
  repos: ReadonlyMap<string, ChartRepo>;
  store: Store;
  blobCache: BlobMemoryCache;
  /** Access checks; without one every repo is read anonymously. */
  guard?: AuthGuard;
}

type IndexRequest = FastifyRequest<{
  Params: { repo: string; view?: string };
  Querystring: Record<string, unknown>;
}>;
type ChartRequest = FastifyRequest<{ Params: { repo: string; view?: string; file: string } }>;

/**
 * The classic Helm repository face: `/{repo}/index.yaml` and `/{repo}/charts/{file}`, and
 * views of the index: by query on the repository URL (Helm keeps it on every request it
 * derives from that URL) or named in the config, served as a repository of their own at
 * `/{repo}/{view}/`. A view's chart URLs are the full index's, so they resolve to the same
 * chart routes.
 */
export function registerHelmRoutes(
  app: FastifyInstance,
  { repos, store, blobCache, guard }: HelmRoutesOptions,
): void {
  const views = createIndexViewCache(store, { entries: 64, bytes: 32 * 1024 * 1024 });
  // Runs before the handler, so a private repo's index or chart is never fetched for nobody;
  // absent when no repo can be private.
  const preHandler =
    guard &&
    (async (request: FastifyRequest<{ Params: { repo: string } }>, reply: FastifyReply) =>
      guard.classicRead(request, reply, request.params.repo));

  const mirrorOf = (repo: string) => {
    const mirror = repos.get(repo);
    if (!mirror) throw new BallastError('BALLAST_REPO_NOT_FOUND', { repo });
    return mirror;
  };

  /** The view a request asks for: a named one, one by query, or none (the full index). */
  const viewOf = (mirror: ChartRepo, request: IndexRequest): ViewSpec | undefined => {
    const byQuery = viewFromQuery(request.query);
    const { view: name } = request.params;
    if (name === undefined) return byQuery;
    const named = mirror.views.get(name);
    if (!named) throw new BallastError('BALLAST_VIEW_NOT_FOUND', { repo: mirror.name, view: name });
    if (byQuery)
      throw new BallastError('BALLAST_VIEW_INVALID', { reason: 'a named view takes no query' });
    return named;
  };

  const sendIndex = async (request: IndexRequest, reply: FastifyReply) => {
    const mirror = mirrorOf(request.params.repo);
    const view = viewOf(mirror, request);
    // The full index needs its body only, not the chart table a start reads behind it.
    const served = await mirror.index(clientGone(reply), { table: view !== undefined });
    const { index } = served;
    reply.header(
      'ballast-index-age',
      Math.max(0, Math.round((Date.now() - served.checkedAt) / 1000)),
    );
    if (served.staleBecause) reply.header('ballast-stale', served.staleBecause);
    const body: IndexBody = view
      ? await views.get(mirror.name, index, view)
      : {
          etag: index.etag,
          identity: identityOf(index),
          ...(index.compressed
            ? { gzip: index.compressed.gzip, brotli: index.compressed.brotli }
            : {}),
        };
    return sendIndexBody(request, reply, body, store);
  };

  const sendChart = async (request: ChartRequest, reply: FastifyReply) => {
    const mirror = mirrorOf(request.params.repo);
    const { view, file } = request.params;
    if (view !== undefined && !mirror.views.has(view))
      throw new BallastError('BALLAST_VIEW_NOT_FOUND', { repo: mirror.name, view });
    if (file.endsWith('.prov')) {
      const body = await mirror.provenance(file, clientGone(reply));
      return reply
        .header('content-type', 'application/pgp-signature')
        .header('cache-control', immutable)
        .send(body);
    }
    const blob = await mirror.chart(file, clientGone(reply));
    return sendBlob(request, reply, blob, { store, blobCache, contentType: 'application/gzip' });
  };

  // GET and HEAD are declared together so that HEAD keeps the real Content-Length.
  for (const prefix of ['/:repo', '/:repo/:view']) {
    app.route({
      method: ['GET', 'HEAD'],
      url: `${prefix}/index.yaml`,
      ...(preHandler ? { preHandler } : {}),
      handler: sendIndex,
    });
    app.route({
      method: ['GET', 'HEAD'],
      url: `${prefix}/charts/:file`,
      ...(preHandler ? { preHandler } : {}),
      handler: sendChart,
    });
  }
}
