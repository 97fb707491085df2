import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createSystemClock } from '../../resilience/clock.ts';
import { classifyFault } from '../../resilience/fault-taxonomy.ts';
import { withRetry } from '../../resilience/retry.ts';
import { conditionHolds, conflictError, type DocumentData, type WriteCondition } from '../store.ts';
import { translateS3Error } from './s3-errors.ts';
import type { StoreRetryPolicy } from './s3-retry-strategy.ts';

export interface PutDocumentObject {
  bucket: string;
  key: string;
  data: DocumentData;
  condition: WriteCondition | undefined;
  retry: StoreRetryPolicy;
  /** The document's version now (undefined: absent), to tell a lost race from a failure. */
  currentVersion(): Promise<string | undefined>;
}

/**
 * One PutObject, so the condition holds on every S3 (RGW honours If-None-Match only there,
 * not on CompleteMultipartUpload). A streamed document (an index, up to `limits.indexSize`) is
 * spooled to a temporary file first: S3 needs its length, and each retry reads it afresh.
 * Returns the new ETag when the server sent one.
 */
export async function putDocumentObject(
  client: S3Client,
  { bucket, key, data, condition, retry, currentVersion }: PutDocumentObject,
): Promise<string | undefined> {
  // RGW (pacific) answers 500 instead of 412 to the loser of a race of conditional writes
  // with streamed bodies: whether the condition still holds says which it was.
  const send = async (command: PutObjectCommand, signal?: AbortSignal) => {
    try {
      return (await client.send(command, signal ? { abortSignal: signal } : {})).ETag;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata
        ?.httpStatusCode;
      if (condition && status !== undefined && status >= 500) {
        if (!conditionHolds(condition, await currentVersion().catch(() => undefined)))
          throw conflictError(key, condition);
      }
      throw error;
    }
  };
  const conditional = !condition
    ? {}
    : 'ifAbsent' in condition
      ? { IfNoneMatch: '*' }
      : { IfMatch: condition.ifVersion };
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    // A buffer body is retried by the SDK (with Ballast's strategy).
    const body = Buffer.from(data);
    return (
      await client.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...conditional }),
      )
    ).ETag;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'ballast-s3-'));
  try {
    const file = path.join(dir, 'document');
    const handle = await open(file, 'wx');
    let size = 0;
    try {
      for await (const chunk of data) {
        size += chunk.byteLength;
        await handle.write(chunk);
      }
    } finally {
      await handle.close();
    }
    return await withRetry(
      ({ signal }) =>
        send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: createReadStream(file),
            ContentLength: size,
            ...conditional,
          }),
          signal,
        ),
      {
        clock: createSystemClock(),
        deadline: Date.now() + retry.deadlineMs,
        method: 'PUT',
        policy: { ...retry, idempotentMethods: ['PUT'] },
        classify: (error) => classifyFault(translateS3Error(error, 'PUT', key)),
        upstream: 'store',
      },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
