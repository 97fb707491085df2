import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBenchOptions } from './bench-options.ts';

test('defaults are the documented load: 5 s, 32 connections, 1 thread, 10,000 versions, 60 KiB', () => {
  const options = parseBenchOptions([], {});
  assert.equal(options.durationSec, 5);
  assert.equal(options.connections, 32);
  assert.equal(options.threads, 1);
  assert.equal(options.versions, 10_000);
  assert.equal(options.chartBytes, 60 * 1024);
  assert.deepEqual(options.cases, ['index-helm', 'index', 'chart', 'oci', 'big-index']);
  assert.equal(options.profile, false);
  assert.match(options.out, /bench\/results\/latest\.json$/);
});

test('flags win over BENCH_* variables', () => {
  const env = { BENCH_DURATION: '9s', BENCH_CONNECTIONS: '8', BENCH_PROFILE: '1' };
  const options = parseBenchOptions(['--duration', '3', '--only', 'chart'], env);
  assert.equal(options.durationSec, 3);
  assert.equal(options.connections, 8);
  assert.equal(options.profile, true);
  assert.deepEqual(options.cases, ['chart']);
});

test('--only oci selects the OCI case alone; cases keep their fixed order', () => {
  assert.deepEqual(parseBenchOptions(['--only', 'oci'], {}).cases, ['oci']);
  assert.deepEqual(parseBenchOptions([], { BENCH_ONLY: 'oci,index' }).cases, ['index', 'oci']);
});

test('refuses values that would make the run unbounded or meaningless', () => {
  assert.throws(() => parseBenchOptions(['--duration', '10m'], {}), /--duration/);
  assert.throws(() => parseBenchOptions(['--duration', '500s'], {}), /--duration/);
  assert.throws(() => parseBenchOptions(['--threads', '4', '--connections', '2'], {}), /--threads/);
  assert.throws(() => parseBenchOptions(['--only', 's3'], {}), /--only/);
});
