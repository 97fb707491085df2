import type { FastifyInstance } from 'fastify';
import { BallastError } from '../../errors/ballast-error.ts';
import type { FileMirror } from '../../files/file-mirror.ts';
import type { Store } from '../../store/store.ts';
import type { BlobMemoryCache } from '../blob-memory-cache.ts';
import { clientGone, sendBlob } from '../send-blob.ts';

export interface FileRoutesOptions {
  files: ReadonlyMap<string, FileMirror>;
  store: Store;
  blobCache: BlobMemoryCache;
}

/** `GET|HEAD /files/{mirror}/{path}`: release downloads, served only once verified. */
export function registerFileRoutes(
  app: FastifyInstance,
  { files, store, blobCache }: FileRoutesOptions,
): void {
  app.route<{ Params: { mirror: string; '*': string } }>({
    method: ['GET', 'HEAD'],
    url: '/files/:mirror/*',
    handler: async (request, reply) => {
      const mirror = files.get(request.params.mirror);
      if (!mirror)
        throw new BallastError('BALLAST_FILE_MIRROR_NOT_FOUND', { mirror: request.params.mirror });
      const view = await mirror.file(request.params['*'], clientGone(reply));
      reply
        .header('ballast-cache', view.fetched ? 'miss' : 'hit')
        .header('last-modified', new Date(view.checkedAt).toUTCString());
      if (view.staleBecause) reply.header('ballast-stale', view.staleBecause);
      return sendBlob(request, reply, view.blob, {
        store,
        blobCache,
        contentType: contentTypeOf(view.path),
        // Mutable paths (an installer script, a `latest` marker) must be asked for again.
        ...(view.mutable ? { cacheControl: 'no-cache' } : {}),
      });
    },
  });
}

const contentTypes: [RegExp, string][] = [
  [/\.(sha256sum|sha256|txt|sh|asc)$/, 'text/plain; charset=utf-8'],
  [/\.(tar\.gz|tgz|gz)$/, 'application/gzip'],
  [/\.zip$/, 'application/zip'],
  [/\.tar$/, 'application/x-tar'],
  [/\.(tar\.xz|xz)$/, 'application/x-xz'],
  [/\.json$/, 'application/json'],
  [/\.ya?ml$/, 'application/yaml'],
];

function contentTypeOf(path: string): string {
  return contentTypes.find(([pattern]) => pattern.test(path))?.[1] ?? 'application/octet-stream';
}
