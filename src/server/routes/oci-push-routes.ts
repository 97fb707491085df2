import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BallastError } from '../../errors/ballast-error.ts';
import type { BlobUploads } from '../../hosted/blob-uploads.ts';
import type { HostedWrites } from '../../hosted/hosted-writes.ts';
import {
  type ManifestPushTarget,
  removeManifest,
  storeManifest,
} from '../../hosted/oci-manifest-push.ts';
import { isSha256Digest, looksLikeDigest, type Sha256Digest } from '../../oci/digest.ts';
import { isTag } from '../../oci/names.ts';
import { OciFormatError } from '../../oci/oci-format-error.ts';
import { parseContentRange, uploadedRange } from '../../oci/upload-range.ts';
import type { Store } from '../../store/store.ts';
import type { AuthGuard } from '../auth-guard.ts';
import { abortOnClose, checkName, DistributionError, type NameParams } from './oci-route-errors.ts';
import type { OciContentSource } from './oci-routes.ts';

export interface OciPushOptions {
  /** The hosted repositories, by name: the only ones that take pushes. */
  hosted: ReadonlyMap<string, HostedWrites>;
  /** Whether a repo of this name exists at all (a mirror is answered UNSUPPORTED, not 404). */
  isRepo: (repo: string) => boolean;
  uploads: BlobUploads;
  store: Store;
  /** The pull side, to find a manifest Ballast built (a chart uploaded through the API). */
  source: OciContentSource;
  /** Without one nobody can be authenticated, so nothing is pushed. */
  guard: AuthGuard | undefined;
}

type UploadParams = NameParams & { id: string };

/**
 * The push side of the distribution API for hosted repositories, registered inside the `/v2`
 * scope of the pull side so both answer errors alike and share its grammar checks: blob
 * uploads (monolithic, `POST` + `PUT`, chunked `PATCH`, resumable `GET`, `DELETE`), and
 * manifests put and deleted by tag or digest. Bodies are read here as raw bytes, bounded.
 */
export function registerOciPushRoutes(scope: FastifyInstance, options: OciPushOptions): void {
  const { uploads, guard } = options;
  // Bodies are blobs and manifests of any media type, read as the bytes that came.
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const target = async (
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<ManifestPushTarget> => {
    const { repo, chart } = checkName(request.params as NameParams);
    const hosted = options.hosted.get(repo);
    if (!hosted) {
      if (options.isRepo(repo)) throw new BallastError('BALLAST_REPO_NOT_HOSTED', { repo });
      throw new DistributionError('NAME_UNKNOWN', `no repository named ${repo}`, {
        name: `${repo}/${chart}`,
      });
    }
    if (!guard)
      throw new BallastError('BALLAST_PUSH_NOT_ALLOWED', {
        repo,
        reason: 'no users or tokens are configured (auth)',
      });
    const actor = await guard.registryWrite(request, reply, { repo, chart });
    return { repo, chart, name: `${repo}/${chart}`, hosted, actor };
  };

  const uploadAnswer = (reply: FastifyReply, name: string, id: string, size: number) =>
    reply
      .header('location', `/v2/${name}/blobs/uploads/${id}`)
      .header('range', uploadedRange(size))
      .header('docker-upload-uuid', id)
      .header('content-length', 0);

  const blobCreated = (reply: FastifyReply, name: string, digest: string) =>
    reply
      .code(201)
      .header('location', `/v2/${name}/blobs/${digest}`)
      .header('docker-content-digest', digest)
      .header('content-length', 0)
      .send();

  const startUpload = async (
    request: FastifyRequest<{ Querystring: Record<string, unknown> }>,
    reply: FastifyReply,
  ) => {
    const { name, hosted } = await target(request, reply);
    const digest = request.query.digest;
    if (digest !== undefined) {
      const blob = await uploads.putWhole(
        name,
        request.raw,
        blobDigest(digest),
        hosted.maxUploadSize,
      );
      return blobCreated(reply, name, blob.digest);
    }
    // `?mount=&from=` is answered as the spec allows: a new upload, the client sends the blob.
    request.raw.resume();
    const { id, size } = await uploads.start(name);
    return uploadAnswer(reply.code(202), name, id, size).send();
  };
  for (const url of ['/:repo/:chart/blobs/uploads/', '/:repo/:chart/blobs/uploads'])
    scope.post(url, { config: { ociKind: 'upload' } }, startUpload);

  scope.route<{ Params: UploadParams; Querystring: Record<string, unknown> }>({
    method: ['GET', 'PATCH', 'PUT', 'DELETE'],
    url: '/:repo/:chart/blobs/uploads/:id',
    config: { ociKind: 'upload' },
    handler: async (request, reply) => {
      const { name, hosted } = await target(request, reply);
      const { id } = request.params;
      const limit = hosted.maxUploadSize;
      switch (request.method) {
        case 'GET': {
          const { size } = await uploads.status(name, id);
          return uploadAnswer(reply.code(204), name, id, size).send();
        }
        case 'PATCH': {
          const range = contentRange(request.headers['content-range'], id);
          const { size } = await uploads.append(name, id, request.raw, { range, maxBytes: limit });
          return uploadAnswer(reply.code(202), name, id, size).send();
        }
        case 'PUT': {
          const digest = blobDigest(request.query.digest);
          const blob = await uploads.finish(name, id, digest, request.raw, limit);
          return blobCreated(reply, name, blob.digest);
        }
        default:
          await uploads.cancel(name, id);
          return reply.code(204).send();
      }
    },
  });

  scope.route<{ Params: NameParams & { reference: string } }>({
    method: ['PUT', 'DELETE'],
    url: '/:repo/:chart/manifests/:reference',
    config: { ociKind: 'manifest-push' },
    handler: async (request, reply) => {
      const pushed = await target(request, reply);
      const reference = manifestReference(request.params.reference);
      if (request.method === 'DELETE') {
        const signal = abortOnClose(reply);
        await removeManifest(pushed, reference, async (tag) => {
          const served = await options.source.manifest(pushed.repo, pushed.chart, tag, signal);
          return served?.digest;
        });
        return reply.code(202).header('content-length', 0).send();
      }
      const digest = await storeManifest(options, pushed, reference, {
        body: request.raw,
        contentType: request.headers['content-type'],
      });
      return reply
        .code(201)
        .header('location', `/v2/${pushed.name}/manifests/${digest}`)
        .header('docker-content-digest', digest)
        .header('content-length', 0)
        .send();
    },
  });
}

function blobDigest(raw: unknown): Sha256Digest {
  if (typeof raw !== 'string' || !isSha256Digest(raw))
    throw new DistributionError(
      'DIGEST_INVALID',
      'the digest query parameter must be sha256: and 64 lowercase hex',
    );
  return raw;
}

function contentRange(header: string | undefined, id: string) {
  try {
    return parseContentRange(header);
  } catch (error) {
    if (!(error instanceof OciFormatError)) throw error;
    throw new BallastError('BALLAST_UPLOAD_RANGE_INVALID', { id, reason: error.message });
  }
}

/** A tag, or a sha256 digest; anything else is refused before any lookup. */
function manifestReference(reference: string): { tag: string } | { digest: Sha256Digest } {
  if (isTag(reference)) return { tag: reference };
  if (!looksLikeDigest(reference))
    throw new DistributionError('TAG_INVALID', 'the reference is neither a tag nor a digest');
  if (!isSha256Digest(reference))
    throw new DistributionError('DIGEST_INVALID', 'only sha256 digests are accepted');
  return { digest: reference };
}
