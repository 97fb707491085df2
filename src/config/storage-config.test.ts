import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { parseConfig } from './load-config.ts';

const withStorage = (storage: string) => `storage:\n${storage}\nrepos: []\n`;

test('storage.s3 is off by default and filled in when given', () => {
  assert.equal(parseConfig('repos: []', 'ballast.yaml').config.storage.s3, undefined);
  const { config } = parseConfig(
    withStorage(
      '  s3: { bucket: ballast, endpoint: "http://127.0.0.1:7480", forcePathStyle: true }',
    ),
    'ballast.yaml',
  );
  assert.deepEqual(config.storage.s3, {
    bucket: 'ballast',
    prefix: '',
    endpoint: 'http://127.0.0.1:7480',
    forcePathStyle: true,
    cache: { maxSize: 1024 ** 3 },
  });
});

test('the bucket can come from the environment alone', () => {
  const { config } = parseConfig('repos: []', 'ballast.yaml', {
    BALLAST_STORAGE__S3__BUCKET: 'from-env',
    BALLAST_STORAGE__S3__PREFIX: 'prod/',
  });
  assert.equal(config.storage.s3?.bucket, 'from-env');
  assert.equal(config.storage.s3?.prefix, 'prod/');
});

test('bad S3 settings name the key; credentials are not a setting', () => {
  const cases: [string, RegExp][] = [
    ['  s3: { bucket: "Not_A_Bucket" }', /storage\.s3\.bucket/],
    ['  s3: { bucket: ballast, prefix: prod }', /storage\.s3\.prefix/],
    ['  s3: { bucket: ballast, prefix: "../x/" }', /storage\.s3\.prefix/],
    ['  s3: { bucket: ballast, endpoint: "ftp://x" }', /storage\.s3\.endpoint/],
    ['  s3: { bucket: ballast, accessKeyId: AKIA }', /storage\.s3/],
    ['  s3: { prefix: prod/ }', /storage\.s3\.bucket/],
  ];
  for (const [storage, key] of cases) {
    assert.throws(
      () => parseConfig(withStorage(storage), 'ballast.yaml'),
      (error) => isBallastError(error, 'BALLAST_CONFIG_INVALID') && key.test(error.message),
      storage,
    );
  }
});
