import { classifyFault } from '../../resilience/fault-taxonomy.ts';
import { backoffDelay, type RetryPolicy } from '../../resilience/retry.ts';
import { translateS3Error } from './s3-errors.ts';

export interface StoreRetryPolicy
  extends Pick<RetryPolicy, 'maxAttempts' | 'baseDelayMs' | 'maxDelayMs' | 'retryAfterCapMs'> {
  /** No retry starts once this long has passed since the first attempt. */
  deadlineMs: number;
}

interface Token {
  getRetryCount(): number;
  getRetryDelay(): number;
  startedAt: number;
}

const token = (retries: number, delayMs: number, startedAt: number): Token => ({
  getRetryCount: () => retries,
  getRetryDelay: () => delayMs,
  startedAt,
});

/**
 * The SDK's retry hook driven by Ballast's policy: the error is translated as the store's edge
 * does, classified by the fault taxonomy, and retried with full-jitter backoff inside a
 * deadline, so S3 faults are retried exactly like upstream ones. The SDK itself never retries
 * a request whose body is a stream; those callers retry whole operations.
 */
export function createStoreRetryStrategy(
  policy: StoreRetryPolicy,
  random: () => number = Math.random,
) {
  const full: RetryPolicy = {
    ...policy,
    minAttemptMs: 0,
    idempotentMethods: [],
  };
  return {
    mode: 'ballast',
    async acquireInitialRetryToken(_scope: string) {
      return token(0, 0, Date.now());
    },
    async refreshRetryTokenForRetry(
      previous: Token,
      info: { error?: unknown; retryAfterHint?: Date },
    ) {
      const retries = previous.getRetryCount();
      const verdict = classifyFault(translateS3Error(info.error, 'request', ''));
      if (!verdict.transient || retries + 1 >= policy.maxAttempts)
        throw info.error ?? new Error('not retried');
      const hinted = info.retryAfterHint
        ? Math.min(Math.max(0, info.retryAfterHint.getTime() - Date.now()), policy.retryAfterCapMs)
        : undefined;
      const delayMs = hinted ?? backoffDelay(retries, full, random);
      if (Date.now() + delayMs - previous.startedAt > policy.deadlineMs)
        throw info.error ?? new Error('deadline passed');
      return token(retries + 1, delayMs, previous.startedAt);
    },
    recordSuccess(_token: Token) {},
  };
}
