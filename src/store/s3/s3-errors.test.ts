import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyFault } from '../../resilience/fault-taxonomy.ts';
import { isS3NotFound, translateS3Error } from './s3-errors.ts';

const sdkError = (name: string, status?: number) =>
  Object.assign(new Error(`${name} happened`), {
    name,
    ...(status ? { $metadata: { httpStatusCode: status } } : { $metadata: {} }),
  });

test('S3 errors become Ballast errors the fault taxonomy classifies', () => {
  const cases: [unknown, string, boolean][] = [
    [sdkError('SlowDown', 503), 'BALLAST_STORE_UNAVAILABLE', true],
    [sdkError('InternalError', 500), 'BALLAST_STORE_UNAVAILABLE', true],
    [sdkError('UnknownError', 502), 'BALLAST_STORE_UNAVAILABLE', true],
    [sdkError('TooManyRequests', 429), 'BALLAST_STORE_UNAVAILABLE', true],
    [
      Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
      'BALLAST_STORE_UNAVAILABLE',
      true,
    ],
    [Object.assign(new Error('idle'), { name: 'TimeoutError' }), 'BALLAST_STORE_UNAVAILABLE', true],
    [sdkError('PreconditionFailed', 412), 'BALLAST_STORE_CONFLICT', false],
    [sdkError('AccessDenied', 403), 'BALLAST_STORE_FAILED', false],
    [sdkError('NoSuchBucket', 404), 'BALLAST_STORE_FAILED', false],
    [sdkError('SignatureDoesNotMatch', 403), 'BALLAST_STORE_FAILED', false],
  ];
  for (const [error, code, transient] of cases) {
    const translated = translateS3Error(error, 'GET', 'prod/docs/x');
    assert.equal(translated.code, code, String(error));
    assert.equal(classifyFault(translated).transient, transient, String(error));
    assert.equal(translated.cause, error);
  }
});

test('a missing key is not found; a missing bucket is not', () => {
  assert.ok(isS3NotFound(sdkError('NoSuchKey', 404)));
  assert.ok(isS3NotFound(sdkError('NotFound', 404)));
  assert.ok(!isS3NotFound(sdkError('AccessDenied', 403)));
  assert.ok(!isS3NotFound(sdkError('NoSuchBucket', 404)));
});
