import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  rewritePath,
  splitChecksumPath,
  unsafeFilePathReason,
  upstreamFileUrl,
} from './file-path.ts';

test('safe paths pass; anything that could leave the mirror is refused', () => {
  for (const path of ['helm-v3.16.2-linux-amd64.tar.gz', 'v3/helm.zip', 'a b/c+d~e', '.hidden'])
    assert.equal(unsafeFilePathReason(path), undefined, path);
  for (const path of [
    '',
    '/etc/passwd',
    'a/',
    '..',
    'a/../b',
    './a',
    'a//b',
    'a\\b',
    'a\0b',
    'a\nb',
  ])
    assert.ok(unsafeFilePathReason(path), JSON.stringify(path));
  assert.ok(unsafeFilePathReason('x'.repeat(1025)));
  assert.ok(unsafeFilePathReason(`${'x'.repeat(256)}/y`));
});

test('checksum paths split into the file and the suffix', () => {
  assert.deepEqual(splitChecksumPath('a/helm.tgz.sha256sum'), {
    file: 'a/helm.tgz',
    suffix: '.sha256sum',
  });
  assert.deepEqual(splitChecksumPath('helm.tgz.sha256'), { file: 'helm.tgz', suffix: '.sha256' });
  assert.equal(splitChecksumPath('helm.tgz'), undefined);
  assert.equal(splitChecksumPath('.sha256'), undefined);
});

test('rewrite maps a flat name to an upstream laid out by version', () => {
  const rewrite = { match: '^helm-(v[^-]+)-(.*)$', to: '$1/helm-$1-$2' };
  assert.equal(
    rewritePath('helm-v3.16.2-linux-amd64.tar.gz', rewrite),
    'v3.16.2/helm-v3.16.2-linux-amd64.tar.gz',
  );
  assert.equal(rewritePath('other.txt', rewrite), 'other.txt', 'no match: unchanged');
  assert.equal(rewritePath('x', undefined), 'x');
  assert.equal(
    rewritePath('tool-1.2.zip', {
      match: '^tool-(?<v>\\d+(\\.\\d+)*)',
      to: 'releases/$<v>/tool-$<v>',
    }),
    'releases/1.2/tool-1.2.zip',
  );
});

test('upstream URLs keep the base path and query, and encode each segment', () => {
  assert.equal(
    upstreamFileUrl('https://mirror.example.com/helm', 'v3.16.2/helm v3.tar.gz'),
    'https://mirror.example.com/helm/v3.16.2/helm%20v3.tar.gz',
  );
  assert.equal(
    upstreamFileUrl('https://get.example.com/?token=1', 'a+b/c#d'),
    'https://get.example.com/a+b/c%23d?token=1',
  );
});
