import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createStoreRetryStrategy } from './s3-retry-strategy.ts';

const policy = {
  maxAttempts: 3,
  baseDelayMs: 100,
  maxDelayMs: 1000,
  retryAfterCapMs: 2000,
  deadlineMs: 10_000,
};
const failure = (name: string, status: number) => ({
  error: Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } }),
});

test('throttling and 5xx are retried with backoff, up to the attempts allowed', async () => {
  const strategy = createStoreRetryStrategy(policy, () => 0.5);
  let token = await strategy.acquireInitialRetryToken('s3');
  token = await strategy.refreshRetryTokenForRetry(token, failure('SlowDown', 503));
  assert.equal(token.getRetryCount(), 1);
  assert.equal(token.getRetryDelay(), 50); // full jitter: 0.5 × 100 ms
  token = await strategy.refreshRetryTokenForRetry(token, failure('InternalError', 500));
  assert.equal(token.getRetryDelay(), 100);
  await assert.rejects(strategy.refreshRetryTokenForRetry(token, failure('SlowDown', 503)));
});

test('a Retry-After hint is honoured, up to the cap', async () => {
  const strategy = createStoreRetryStrategy(policy, () => 0.5);
  const token = await strategy.acquireInitialRetryToken('s3');
  const hinted = await strategy.refreshRetryTokenForRetry(token, {
    ...failure('SlowDown', 503),
    retryAfterHint: new Date(Date.now() + 60_000),
  });
  assert.equal(hinted.getRetryDelay(), 2000);
});

test('refusals, lost conditions and missing keys are not retried', async () => {
  const strategy = createStoreRetryStrategy(policy);
  const token = await strategy.acquireInitialRetryToken('s3');
  for (const [name, status] of [
    ['AccessDenied', 403],
    ['PreconditionFailed', 412],
    ['NoSuchKey', 404],
  ] as const) {
    const info = failure(name, status);
    await assert.rejects(strategy.refreshRetryTokenForRetry(token, info), (e) => e === info.error);
  }
});
