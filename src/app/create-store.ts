import type { Config } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import { systemErrorText } from '../errors/system-error.ts';
import type { Logger } from '../observability/logger.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import type { Store } from '../store/store.ts';

/**
 * The store the config names: the bucket when `storage.s3` is set (with an optional local
 * disk cache in front), else the filesystem. With S3 no data directory is created. The bucket
 * is checked at start, so wrong credentials or a missing bucket stop Ballast with a clear error
 * rather than failing each request.
 */
export async function createStore(
  config: Pick<Config, 'storage' | 'timeouts' | 'resilience'>,
  logger: Logger,
): Promise<Store> {
  const s3 = config.storage.s3;
  if (!s3) return openFsStore(config.storage.fs.path);
  // Loaded only for a bucket: the S3 client costs about 30 MiB of memory in every process.
  const { openS3Store } = await import('./open-s3-store.ts');
  return openS3Store(s3, config, logger);
}

/** The data directory, or one line naming `storage.fs.path` and the system's reason. */
async function openFsStore(root: string): Promise<Store> {
  try {
    return await createFsStore({ root });
  } catch (error) {
    throw new BallastError(
      'BALLAST_STORAGE_UNUSABLE',
      { path: root, reason: systemErrorText(error) },
      { cause: error },
    );
  }
}
