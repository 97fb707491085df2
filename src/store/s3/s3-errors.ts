import { BallastError } from '../../errors/ballast-error.ts';

/** What S3 (AWS, MinIO, Ceph RGW) and the SDK say when a request fails, as data. */
interface S3Failure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const notFoundNames = new Set(['NoSuchKey', 'NotFound', 'NoSuchUpload']);
const conflictNames = new Set(['PreconditionFailed', 'ConditionalRequestConflict']);
/** Throttling and the server's own trouble: worth another attempt after a backoff. */
const transientNames = new Set([
  'SlowDown',
  'Throttling',
  'ThrottlingException',
  'RequestTimeout',
  'RequestTimeTooSkewed',
  'InternalError',
  'ServiceUnavailable',
  'TimeoutError',
  'AbortError',
]);
const networkCodes = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function failureOf(error: unknown): S3Failure {
  return typeof error === 'object' && error !== null ? (error as S3Failure) : {};
}

/** The key does not exist (a missing bucket is a failure, not an absent object). */
export function isS3NotFound(error: unknown): boolean {
  const failure = failureOf(error);
  if (failure.name === 'NoSuchBucket') return false;
  return notFoundNames.has(failure.name ?? '') || failure.$metadata?.httpStatusCode === 404;
}

/**
 * The store's edge: no SDK error goes further. A lost condition is a conflict; throttling,
 * 5xx, timeouts and broken connections are BALLAST_STORE_UNAVAILABLE (transient in the fault
 * taxonomy); anything else, such as wrong credentials or a missing bucket, BALLAST_STORE_FAILED.
 */
export function translateS3Error(error: unknown, operation: string, key: string): BallastError {
  if (error instanceof BallastError) return error;
  const failure = failureOf(error);
  const status = failure.$metadata?.httpStatusCode;
  const name = failure.name ?? 'Error';
  const reason = `${failure.code ?? name}${status ? ` (HTTP ${status})` : ''}: ${failure.message ?? String(error)}`;
  const details = { operation, key, reason, ...(status ? { statusCode: status } : {}) };
  if (conflictNames.has(name) || status === 412 || status === 409)
    return new BallastError('BALLAST_STORE_CONFLICT', { key, reason }, { cause: error });
  const transient =
    transientNames.has(name) ||
    networkCodes.has(failure.code ?? '') ||
    (status !== undefined && (status >= 500 || status === 429 || status === 408)) ||
    (status === undefined && failure.$metadata !== undefined);
  return new BallastError(
    transient ? 'BALLAST_STORE_UNAVAILABLE' : 'BALLAST_STORE_FAILED',
    details,
    { cause: error },
  );
}
