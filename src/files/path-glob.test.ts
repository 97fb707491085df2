import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlobs } from './path-glob.ts';

test('mutable globs: names anywhere, paths, ** across folders', () => {
  const mutable = compileGlobs(['helm-latest-version', 'get-helm-?', 'stable/*.txt', 'nightly/**']);
  for (const path of [
    'helm-latest-version',
    'a/b/helm-latest-version',
    'get-helm-3',
    'stable/latest.txt',
    'nightly/2024/x.tgz',
  ])
    assert.ok(mutable(path), path);
  for (const path of ['helm-v3.tgz', 'get-helm-34', 'stable/a/latest.txt', 'nightlyx/y', 'x.txt'])
    assert.ok(!mutable(path), path);
  assert.ok(!compileGlobs([])('anything'));
  assert.ok(compileGlobs(['a.b'])('a.b') && !compileGlobs(['a.b'])('axb'), 'dots are literal');
});
