import { HeadBucketCommand } from '@aws-sdk/client-s3';
import type { Config } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import type { Logger } from '../observability/logger.ts';
import { createCachedStore } from '../store/cached-store.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import { createS3Client } from '../store/s3/s3-client.ts';
import { translateS3Error } from '../store/s3/s3-errors.ts';
import { createS3Store } from '../store/s3/s3-store.ts';
import type { Store } from '../store/store.ts';

type S3Config = NonNullable<Config['storage']['s3']>;

/** The bucket, checked at start, with the optional local disk cache in front. */
export async function openS3Store(
  s3: S3Config,
  config: Pick<Config, 'timeouts' | 'resilience'>,
  logger: Logger,
): Promise<Store> {
  const { retry, deadline } = config.resilience;
  const storeRetry = {
    maxAttempts: retry.maxAttempts,
    baseDelayMs: retry.baseDelay,
    maxDelayMs: retry.maxDelay,
    retryAfterCapMs: retry.retryAfterCap,
    deadlineMs: deadline,
  };
  const log = logger.child({ store: `s3://${s3.bucket}/${s3.prefix}` });
  const client = createS3Client({
    warn: (message) => log.warn(message),
    ...(s3.endpoint ? { endpoint: s3.endpoint } : {}),
    ...(s3.region ? { region: s3.region } : {}),
    forcePathStyle: s3.forcePathStyle,
    retry: storeRetry,
    timeouts: { connectMs: config.timeouts.connect, idleMs: config.timeouts.body },
  });
  try {
    await client.send(new HeadBucketCommand({ Bucket: s3.bucket }));
  } catch (error) {
    client.destroy();
    if (/region is missing/i.test(String(error)))
      throw new BallastError('BALLAST_CONFIG_INVALID', {
        key: 'storage.s3.region',
        problem: 'no region: set it, or AWS_REGION',
      });
    throw translateS3Error(error, 'HEAD bucket', s3.bucket);
  }
  const store = createS3Store({
    client,
    bucket: s3.bucket,
    prefix: s3.prefix,
    retry: storeRetry,
    onCleanUp: (outcome) =>
      'error' in outcome
        ? log.warn({ err: outcome.error }, 'clean-up of stale uploads failed')
        : outcome.aborted + outcome.deleted > 0 &&
          log.info(outcome, 'removed stale uploads and temporary objects'),
  });
  if (!s3.cache.dir) return store;
  return createCachedStore(store, {
    cache: await createFsStore({ root: s3.cache.dir }),
    maxBytes: s3.cache.maxSize,
  });
}
