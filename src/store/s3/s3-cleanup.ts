import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { translateS3Error } from './s3-errors.ts';

export interface S3Location {
  bucket: string;
  /** Empty, or folder names each ending in `/`. */
  prefix: string;
}

export interface ListedObject {
  key: string;
  size: number;
  modified: Date;
}

/** Every object under the prefix, a page at a time. */
export async function* listObjects(
  client: S3Client,
  bucket: string,
  prefix: string,
  pageSize: number,
): AsyncGenerator<ListedObject> {
  let token: string | undefined;
  do {
    const page = await client
      .send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          MaxKeys: pageSize,
          ...(token ? { ContinuationToken: token } : {}),
        }),
      )
      .catch((error: unknown) => {
        throw translateS3Error(error, 'LIST', prefix);
      });
    for (const object of page.Contents ?? []) {
      if (object.Key)
        yield {
          key: object.Key,
          size: object.Size ?? 0,
          modified: object.LastModified ?? new Date(0),
        };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}

export interface CleanUpOptions extends S3Location {
  client: S3Client;
  /** What is older than this is a leftover: no upload of Ballast's runs this long. */
  staleAfterMs: number;
  now?: () => number;
}

/**
 * Removes what a crash leaves behind: multipart uploads never completed nor aborted (they
 * hold storage but are invisible) and temporary objects of uploads whose digest was unknown.
 */
export async function cleanUpS3({
  client,
  bucket,
  prefix,
  staleAfterMs,
  now = Date.now,
}: CleanUpOptions): Promise<{ aborted: number; deleted: number }> {
  const before = now() - staleAfterMs;
  let aborted = 0;
  let deleted = 0;
  let keyMarker: string | undefined;
  let uploadMarker: string | undefined;
  do {
    const page = await client.send(
      new ListMultipartUploadsCommand({
        Bucket: bucket,
        Prefix: prefix,
        ...(keyMarker ? { KeyMarker: keyMarker, UploadIdMarker: uploadMarker } : {}),
      }),
    );
    for (const upload of page.Uploads ?? []) {
      if (!upload.Key || !upload.UploadId || (upload.Initiated?.getTime() ?? 0) > before) continue;
      await client.send(
        new AbortMultipartUploadCommand({
          Bucket: bucket,
          Key: upload.Key,
          UploadId: upload.UploadId,
        }),
      );
      aborted += 1;
    }
    keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
    uploadMarker = page.NextUploadIdMarker;
  } while (keyMarker);
  for await (const object of listObjects(client, bucket, `${prefix}tmp/`, 1000)) {
    if (object.modified.getTime() > before) continue;
    await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: object.key }));
    deleted += 1;
  }
  return { aborted, deleted };
}

/** Runs the clean-up now and then every `everyMs`, off the request path; returns a stop. */
export function scheduleCleanUp(
  options: CleanUpOptions & {
    everyMs: number;
    report?: (outcome: { aborted: number; deleted: number } | { error: unknown }) => void;
  },
): () => void {
  const run = () =>
    cleanUpS3(options).then(
      (outcome) => options.report?.(outcome),
      (error: unknown) => options.report?.({ error }),
    );
  const first = setTimeout(run, 0);
  const timer = setInterval(run, options.everyMs);
  first.unref();
  timer.unref();
  return () => {
    clearTimeout(first);
    clearInterval(timer);
  };
}
