import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  chartFileName,
  chartPath,
  provenanceUrl,
  resolveChartUrl,
  unsafeFileNameReason,
} from './chart-url.ts';

test('relative chart URLs resolve against the repo URL with a trailing slash forced', () => {
  assert.equal(
    resolveChartUrl('https://h.example/charts', 'app-1.0.0.tgz'),
    'https://h.example/charts/app-1.0.0.tgz',
  );
  assert.equal(
    resolveChartUrl('https://h.example/charts/', 'pkg/app.tgz'),
    'https://h.example/charts/pkg/app.tgz',
  );
  assert.equal(resolveChartUrl('https://h.example/a/b', '../c.tgz'), 'https://h.example/a/c.tgz');
});

test("the repo URL's query string is copied onto relative chart URLs", () => {
  assert.equal(
    resolveChartUrl('https://h.example/r?token=abc', 'app.tgz'),
    'https://h.example/r/app.tgz?token=abc',
  );
});

test('absolute chart URLs are used as they are', () => {
  const url = 'https://github.com/o/r/releases/download/app-1.0.0/app-1.0.0.tgz';
  assert.equal(resolveChartUrl('https://o.github.io/r', url), url);
});

test('served chart paths keep + and escape the rest', () => {
  assert.equal(chartPath(chartFileName('app', '1.0.0+build.1')), 'charts/app-1.0.0+build.1.tgz');
  assert.equal(chartPath('we ird#.tgz'), 'charts/we%20ird%23.tgz');
});

test('file names that could escape the repository are refused', () => {
  for (const bad of [
    '..',
    '../x.tgz',
    'a/b.tgz',
    'a\\b.tgz',
    'x\0.tgz',
    'index.yaml',
    '',
    `${'x'.repeat(300)}.tgz`,
  ]) {
    assert.ok(unsafeFileNameReason(bad), bad);
  }
  assert.equal(unsafeFileNameReason('app-1.0.0.tgz'), undefined);
  assert.equal(unsafeFileNameReason('app-1.0.0.tgz.prov'), undefined);
});

test('.prov goes on the path of a chart URL; its query stays', () => {
  assert.equal(
    provenanceUrl('https://h.example/charts/app-1.0.0.tgz?token=abc&x=1'),
    'https://h.example/charts/app-1.0.0.tgz.prov?token=abc&x=1',
  );
  assert.equal(
    provenanceUrl('https://h.example/app-1.0.0.tgz'),
    'https://h.example/app-1.0.0.tgz.prov',
  );
});
