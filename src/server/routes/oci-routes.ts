import type { FastifyInstance, FastifyReply } from 'fastify';
import { isBallastError } from '../../errors/ballast-error.ts';
import { createEventBus, type EventBus } from '../../observability/events.ts';
import { isSha256Digest, looksLikeDigest, type Sha256Digest } from '../../oci/digest.ts';
import { formatNextPageLink } from '../../oci/link-header.ts';
import { isNameComponent, isTag } from '../../oci/names.ts';
import { lexicalSort, pageOf } from '../../oci/tag-list.ts';
import type { BlobInfo, Store } from '../../store/store.ts';
import type { AuthGuard } from '../auth-guard.ts';
import { type BlobMemoryCache, createBlobMemoryCache } from '../blob-memory-cache.ts';
import { matchesEtag } from '../conditional.ts';
import { clientHasGone, echo, reportClientGone } from '../http-errors.ts';
import { sendBlob } from '../send-blob.ts';
import { type OciPushOptions, registerOciPushRoutes } from './oci-push-routes.ts';
import {
  abortOnClose,
  checkName,
  DistributionError,
  type NameParams as Params,
  type RouteKind,
  sendError,
  toDistributionError,
} from './oci-route-errors.ts';

/** A manifest as served: exact bytes, their digest and media type. */
export interface OciManifestContent {
  bytes: Buffer;
  digest: Sha256Digest;
  mediaType: string;
}

/**
 * What the OCI face serves, for every repo: `oci://host/{repo}/{chart}`. Return `undefined`
 * for "no such thing" (answered 404 with the spec's code); throw a BallastError for failures
 * (answered with its status and the spec's error JSON). The signal aborts when the client
 * goes away.
 */
export interface OciContentSource {
  /** Every `{repo}/{chart}` name served, in any order. */
  catalog(signal: AbortSignal): Promise<string[]>;
  /** The chart's tags, in any order; undefined when there is no such repo or chart. */
  tags(repo: string, chart: string, signal: AbortSignal): Promise<string[] | undefined>;
  /** By tag or by `sha256:` digest; undefined when unknown. */
  manifest(
    repo: string,
    chart: string,
    reference: string,
    signal: AbortSignal,
  ): Promise<OciManifestContent | undefined>;
  /** A blob of this chart (config or layer), readable from the store; undefined when unknown. */
  blob(
    repo: string,
    chart: string,
    digest: Sha256Digest,
    signal: AbortSignal,
  ): Promise<BlobInfo | undefined>;
}

export interface OciRoutesOptions {
  source: OciContentSource;
  store: Store;
  /** Small blobs are answered from memory, as on the classic face. */
  blobCache?: BlobMemoryCache;
  /** The most items one catalog or tag list page holds; `n` above it is cut to it. */
  maxPageSize?: number;
  /** Where clients hanging up and a full disk are reported. */
  bus?: EventBus;
  /** Access checks; without one every repo is read anonymously (and nothing is pushed). */
  guard?: AuthGuard;
  /** The push side (hosted repositories), in the same scope; without it `/v2/` is read-only. */
  push?: Omit<OciPushOptions, 'guard' | 'source' | 'store'>;
}

const immutable = 'public, max-age=31536000, immutable';

/**
 * The pull side of the OCI distribution API under `/v2/`, in its own Fastify scope: errors
 * there use the spec's JSON (`{"errors":[{"code":"MANIFEST_UNKNOWN",…}]}`), not Ballast's.
 * Names, tags and digests are checked against the spec's grammar before the source sees
 * them, so nothing like `..` or an encoded slash ever reaches it.
 */
export function registerOciRoutes(app: FastifyInstance, options: OciRoutesOptions): void {
  const maxPageSize = options.maxPageSize ?? 1000;
  const { source, store, guard } = options;
  const bus = options.bus ?? createEventBus();
  const blobCache = options.blobCache ?? createBlobMemoryCache(store, 0, 0);
  app.register(
    async (scope) => {
      scope.addHook('onSend', async (_request, reply) => {
        reply.header('docker-distribution-api-version', 'registry/2.0');
      });
      scope.setErrorHandler(async (error, request, reply) => {
        if (!isBallastError(error) && clientHasGone(request))
          return reportClientGone(request, reply, bus);
        const kind = (request.routeOptions.config as { ociKind?: RouteKind }).ociKind ?? 'base';
        return sendError(reply, toDistributionError(error, kind, request, bus));
      });
      if (guard)
        scope.addHook('preHandler', async (request, reply) => {
          const kind = (request.routeOptions.config as { ociKind?: RouteKind }).ociKind;
          // Push routes check write access themselves, once they know the repo takes pushes.
          if (kind === undefined || kind === 'catalog' || kind === 'upload') return;
          if (kind === 'manifest-push') return;
          const { repo, chart } = request.params as Partial<Params>;
          // A name outside the grammar is refused by the handler (NAME_INVALID) before any use.
          if (kind !== 'base' && !(isNameComponent(repo ?? '') && isNameComponent(chart ?? '')))
            return;
          await guard.registryRead(
            request,
            reply,
            kind === 'base' ? undefined : { repo: repo ?? '', chart: chart ?? '' },
          );
        });
      scope.setNotFoundHandler(async (request, reply) => {
        const readOnly = request.method === 'GET' || request.method === 'HEAD';
        return sendError(
          reply,
          readOnly
            ? new DistributionError('NAME_UNKNOWN', `no repository at ${echo(request.url)}`)
            : new DistributionError('UNSUPPORTED', `${request.method} is not supported here`),
        );
      });

      if (options.push) registerOciPushRoutes(scope, { ...options.push, guard, source, store });

      scope.get('/', { config: { ociKind: 'base' } }, async (_request, reply) =>
        reply.header('content-type', 'application/json').send({}),
      );

      scope.get<{ Querystring: { n?: string; last?: string } }>(
        '/_catalog',
        { config: { ociKind: 'catalog' } },
        async (request, reply) => {
          const visible = guard ? await guard.registryVisible(request, reply) : () => true;
          const names = lexicalSort(
            (await source.catalog(abortOnClose(reply))).filter((name) =>
              visible(name.slice(0, name.indexOf('/'))),
            ),
          );
          const n = pageSize(request.query.n, maxPageSize) ?? maxPageSize;
          const page = pageOf(names, { n, last: single(request.query.last) });
          if (page.more) linkNext(reply, '/v2/_catalog', page.items, n);
          return reply.send({ repositories: page.items });
        },
      );

      scope.get<{ Params: Params; Querystring: { n?: string; last?: string } }>(
        '/:repo/:chart/tags/list',
        { config: { ociKind: 'tags' } },
        async (request, reply) => {
          const { repo, chart } = checkName(request.params);
          const tags = await source.tags(repo, chart, abortOnClose(reply));
          if (tags === undefined)
            throw new DistributionError('NAME_UNKNOWN', undefined, { name: `${repo}/${chart}` });
          const n = pageSize(request.query.n, maxPageSize);
          const page = pageOf(lexicalSort(tags), { n, last: single(request.query.last) });
          if (page.more && n !== undefined)
            linkNext(reply, `/v2/${repo}/${chart}/tags/list`, page.items, n);
          return reply.send({ name: `${repo}/${chart}`, tags: page.items });
        },
      );

      scope.route<{ Params: Params & { reference: string } }>({
        method: ['GET', 'HEAD'],
        url: '/:repo/:chart/manifests/:reference',
        config: { ociKind: 'manifest' },
        handler: async (request, reply) => {
          const { repo, chart } = checkName(request.params);
          const { reference } = request.params;
          const byDigest = !isTag(reference);
          if (byDigest && !looksLikeDigest(reference))
            throw new DistributionError(
              'TAG_INVALID',
              'the reference is neither a tag nor a digest',
            );
          if (byDigest && !isSha256Digest(reference))
            throw new DistributionError('DIGEST_INVALID', 'only sha256 digests are served');
          const manifest = await source.manifest(repo, chart, reference, abortOnClose(reply));
          if (!manifest)
            throw new DistributionError('MANIFEST_UNKNOWN', undefined, {
              name: `${repo}/${chart}`,
              reference,
            });
          // Never serve bytes under a digest they do not have.
          if (byDigest && manifest.digest !== reference)
            throw new DistributionError('UNKNOWN', 'the stored manifest does not match its digest');
          const etag = `"${manifest.digest}"`;
          reply
            .header('content-type', manifest.mediaType)
            .header('docker-content-digest', manifest.digest)
            .header('etag', etag)
            .header('cache-control', byDigest ? immutable : 'no-cache');
          if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
          reply.header('content-length', manifest.bytes.length);
          return reply.send(request.method === 'HEAD' ? undefined : manifest.bytes);
        },
      });

      scope.route<{ Params: Params & { digest: string } }>({
        method: ['GET', 'HEAD'],
        url: '/:repo/:chart/blobs/:digest',
        config: { ociKind: 'blob' },
        handler: async (request, reply) => {
          const { repo, chart } = checkName(request.params);
          const { digest } = request.params;
          if (!isSha256Digest(digest))
            throw new DistributionError('DIGEST_INVALID', 'expected sha256: and 64 lowercase hex');
          const blob = await source.blob(repo, chart, digest, abortOnClose(reply));
          if (!blob || blob.digest !== digest)
            throw new DistributionError('BLOB_UNKNOWN', undefined, { digest });
          return sendBlob(request, reply, blob, {
            store,
            blobCache,
            contentType: 'application/octet-stream',
          });
        },
      });
    },
    { prefix: '/v2' },
  );
}

/** A query parameter given more than once arrives as a list; paging takes a single value. */
function single(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function pageSize(raw: unknown, max: number): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw))
    throw new DistributionError(
      'PAGINATION_NUMBER_INVALID',
      `n must be a whole number, got ${JSON.stringify(raw)}`,
    );
  return Math.min(Number(raw), max);
}

function linkNext(reply: FastifyReply, path: string, items: readonly string[], n: number): void {
  const last = items.at(-1);
  if (last === undefined) return;
  reply.header('link', formatNextPageLink(`${path}?last=${encodeURIComponent(last)}&n=${n}`));
}
