import { S3Client } from '@aws-sdk/client-s3';
import { createStoreRetryStrategy, type StoreRetryPolicy } from './s3-retry-strategy.ts';

export interface S3ClientOptions {
  endpoint?: string;
  region?: string;
  forcePathStyle: boolean;
  retry: StoreRetryPolicy;
  /** TCP connect, and the longest silence on a socket mid-request (a stalled server). */
  timeouts: { connectMs: number; idleMs: number };
  /** Where the SDK's own warnings go (it writes them to the console otherwise). */
  warn?: (message: string) => void;
}

const ignore = () => {};

/**
 * One client for AWS S3, MinIO and Ceph RGW alike. Checksums are computed and validated only
 * when an operation requires them: the SDK's default streams bodies with aws-chunked trailing
 * checksums, which RGW (pacific) and older MinIO refuse. Blobs are verified by their sha256
 * instead. Credentials come from the SDK's default chain (environment, web identity / IRSA,
 * profile, instance metadata), never from Ballast's config.
 */
export function createS3Client(options: S3ClientOptions): S3Client {
  return new S3Client({
    ...(options.endpoint ? { endpoint: options.endpoint } : {}),
    ...(options.region ? { region: options.region } : {}),
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    retryStrategy: createStoreRetryStrategy(options.retry),
    // Requests and failures are the store's to report (a 404 is an answer, not an error).
    logger: {
      trace: ignore,
      debug: ignore,
      info: ignore,
      error: ignore,
      warn: (...content: unknown[]) => (options.warn ?? ignore)(content.map(String).join(' ')),
    },
    requestHandler: {
      connectionTimeout: options.timeouts.connectMs,
      socketTimeout: options.timeouts.idleMs,
      httpAgent: { keepAlive: true, maxSockets: 64 },
      httpsAgent: { keepAlive: true, maxSockets: 64 },
    },
  });
}
