import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { BallastError } from '../../errors/ballast-error.ts';
import { createBlobIntake } from '../blob-intake.ts';
import {
  type BlobInfo,
  checkedDigest,
  checkedDocumentKey,
  type Digest,
  isDigest,
  type Store,
} from '../store.ts';
import { listObjects, type S3Location, scheduleCleanUp } from './s3-cleanup.ts';
import { putDocumentObject } from './s3-documents.ts';
import { isS3NotFound, translateS3Error } from './s3-errors.ts';
import { resumingRead } from './s3-resuming-read.ts';
import type { StoreRetryPolicy } from './s3-retry-strategy.ts';

export interface S3StoreOptions extends S3Location {
  client: S3Client;
  retry: StoreRetryPolicy;
  /** Multipart part size; S3 wants at least 5 MiB. Parts are buffered, `partSize` × 2 per upload. */
  partSize?: number;
  /** Keys per listing request (S3 caps it at 1000). */
  pageSize?: number;
  /** Multipart uploads and temporary objects older than this are removed (a crash's leftovers). */
  staleAfterMs?: number;
  cleanUpEveryMs?: number;
  onCleanUp?: (outcome: { aborted: number; deleted: number } | { error: unknown }) => void;
}

/** The object keys of blobs and documents under a prefix: the layout below, in one place. */
export function s3ObjectKeys(prefix: string) {
  const blobs = `${prefix}blobs/sha256/`;
  const documents = `${prefix}docs/`;
  return {
    blobs,
    documents,
    blob: (digest: Digest) => `${blobs}${checkedDigest(digest).slice('sha256:'.length)}`,
    document: (key: string) => `${documents}${checkedDocumentKey(key)}`,
  };
}

/**
 * The bucket as the store, laid out as the fs store is: `{prefix}blobs/sha256/<hex>`,
 * `{prefix}docs/<key>`, `{prefix}tmp/<time>-<id>` for blobs whose digest is not known in advance.
 *
 * A blob is hashed while it streams up and becomes visible under its digest only once it
 * matches: with the digest known, the (multipart) upload goes to its final key and is
 * completed only after the last byte hashed right, else aborted; without it, the upload goes
 * to a temporary key and is copied into place. Nothing on the request path lists the bucket.
 */
export function createS3Store(options: S3StoreOptions): Store {
  const { client, bucket, prefix } = options;
  const pageSize = options.pageSize ?? 1000;
  const {
    blob: blobKey,
    document: docKey,
    blobs: blobsBase,
    documents: docsBase,
  } = s3ObjectKeys(prefix);
  const stopCleanUp = scheduleCleanUp({
    client,
    bucket,
    prefix,
    staleAfterMs: options.staleAfterMs ?? 24 * 3600_000,
    everyMs: options.cleanUpEveryMs ?? 3600_000,
    ...(options.onCleanUp ? { report: options.onCleanUp } : {}),
  });

  async function head(key: string) {
    try {
      return await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw translateS3Error(error, 'HEAD', key);
    }
  }

  /** The object's body from `start`, or undefined when it does not exist. */
  async function open(key: string, start = 0, end?: number) {
    const range = start > 0 || end !== undefined ? `bytes=${start}-${end ?? ''}` : undefined;
    try {
      const output = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, ...(range ? { Range: range } : {}) }),
      );
      return { body: output.Body as Readable, length: output.ContentLength ?? 0 };
    } catch (error) {
      if (isS3NotFound(error)) return undefined;
      throw translateS3Error(error, 'GET', key);
    }
  }

  async function remove(key: string) {
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (error) {
      if (!isS3NotFound(error)) throw translateS3Error(error, 'DELETE', key);
    }
  }

  return {
    async statBlob(digest) {
      const found = await head(blobKey(digest));
      return found ? { digest, size: found.ContentLength ?? 0 } : undefined;
    },

    async readBlob(digest, range) {
      const key = blobKey(digest);
      const first = await open(key, range?.start, range?.end);
      if (!first) throw new BallastError('BALLAST_BLOB_NOT_FOUND', { digest });
      const start = range?.start ?? 0;
      const end = start + first.length - 1;
      return resumingRead(first.body, { start, end }, async (from) => {
        const again = await open(key, from, end);
        if (!again) throw new BallastError('BALLAST_BLOB_NOT_FOUND', { digest });
        return again.body;
      });
    },

    async putBlob(source, putOptions): Promise<BlobInfo> {
      const intake = createBlobIntake(putOptions);
      const expected = putOptions.expectedDigest;
      const target = expected ? blobKey(expected) : `${prefix}tmp/${Date.now()}-${randomUUID()}`;
      let verified: BlobInfo | undefined;
      // The check runs before the stream ends, so the upload completes only with the right bytes.
      async function* hashed() {
        for await (const chunk of source) {
          intake.update(chunk);
          yield chunk;
        }
        verified = intake.finish();
      }
      const upload = new Upload({
        client,
        params: { Bucket: bucket, Key: target, Body: Readable.from(hashed()) },
        partSize: options.partSize ?? 8 * 1024 * 1024,
        queueSize: 2,
        leavePartsOnError: false,
      });
      try {
        await upload.done();
      } catch (error) {
        if (!expected) await remove(target).catch(() => {});
        throw translateS3Error(error, 'PUT', target);
      }
      const blob = verified as BlobInfo;
      if (!expected) {
        try {
          if (!(await head(blobKey(blob.digest)))) {
            await client
              .send(
                new CopyObjectCommand({
                  Bucket: bucket,
                  Key: blobKey(blob.digest),
                  CopySource: `${bucket}/${target}`,
                }),
              )
              .catch((error: unknown) => {
                throw translateS3Error(error, 'COPY', target);
              });
          }
        } finally {
          await remove(target).catch(() => {});
        }
      }
      return blob;
    },

    async *listBlobs() {
      for await (const object of listObjects(client, bucket, blobsBase, pageSize)) {
        const digest = `sha256:${object.key.slice(blobsBase.length)}`;
        if (isDigest(digest)) yield { digest, size: object.size, modified: object.modified };
      }
    },

    async deleteBlob(digest) {
      await remove(blobKey(digest));
    },

    async getDocument(key) {
      const found = await open(docKey(key));
      return found ? Buffer.concat(await found.body.toArray()) : undefined;
    },

    async openDocument(key) {
      return (await open(docKey(key)))?.body;
    },

    async statDocument(key) {
      const found = await head(docKey(key));
      if (!found) return undefined;
      return {
        version: versionOf(found.ETag),
        size: found.ContentLength ?? 0,
        modified: found.LastModified ?? new Date(0),
      };
    },

    async putDocument(key, data, condition) {
      const objectKey = docKey(key);
      return putDocumentObject(client, {
        bucket,
        key: objectKey,
        data,
        condition,
        retry: options.retry,
        currentVersion: async () => {
          const found = await head(objectKey);
          return found && versionOf(found.ETag);
        },
      })
        .then(async (etag) => versionOf(etag ?? (await head(objectKey))?.ETag))
        .catch((error: unknown) => {
          const translated = translateS3Error(error, 'PUT', objectKey);
          // The store's callers speak of document keys, not of object keys.
          if (translated.code === 'BALLAST_STORE_CONFLICT' && condition)
            throw new BallastError('BALLAST_STORE_CONFLICT', {
              key,
              reason:
                'ifAbsent' in condition ? 'it exists already' : 'it changed since it was read',
            });
          throw translated;
        });
    },

    async deleteDocument(key) {
      await remove(docKey(key));
    },

    async listDocuments(keyPrefix) {
      const keys: string[] = [];
      for await (const object of listObjects(client, bucket, docsBase + keyPrefix, pageSize)) {
        keys.push(object.key.slice(docsBase.length));
      }
      return keys.sort();
    },

    async close() {
      stopCleanUp();
      client.destroy();
    },
  };
}

/**
 * A document's version is its ETag without the quotes: RGW (pacific) matches If-Match only
 * against the bare value, and AWS and MinIO accept it too.
 */
function versionOf(etag: string | undefined): string {
  return (etag ?? '').replaceAll('"', '');
}
