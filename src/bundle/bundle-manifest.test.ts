import assert from 'node:assert/strict';
import { test } from 'node:test';
import { entryTarget, parseManifest } from './bundle-manifest.ts';

const hex = 'ab'.repeat(32);
const digest = `sha256:${hex}` as const;
const manifest = (entries: unknown[]) =>
  Buffer.from(
    JSON.stringify({
      format: 'ballast-bundle',
      version: 1,
      createdAt: '2026-01-01T00:00:00Z',
      repos: [],
      files: [],
      entries,
    }),
  );

test('entries map to a blob digest or a store key under the bundle prefixes', () => {
  assert.deepEqual(entryTarget({ name: `blobs/sha256/${hex}`, digest, size: 1 }), {
    kind: 'blob',
    digest,
  });
  assert.deepEqual(entryTarget({ name: 'docs/repos/a/served', digest, size: 1 }), {
    kind: 'document',
    key: 'repos/a/served',
  });
  for (const name of [
    `blobs/sha256/${'cd'.repeat(32)}`,
    '../x',
    '/etc/passwd',
    'docs/../x',
    'docs/repos/../../x',
    'docs/auth/tokens',
    'docs/',
    `blobs/sha256/../${hex}`,
  ])
    assert.ok('problem' in entryTarget({ name, digest, size: 1 }), name);
});

test('manifests: shape, unique names, known targets', () => {
  assert.ok(
    'manifest' in parseManifest(manifest([{ name: `blobs/sha256/${hex}`, digest, size: 3 }])),
  );
  const problem = (bytes: Buffer) => (parseManifest(bytes) as { problem: string }).problem;
  assert.match(problem(Buffer.from('{')), /not JSON/);
  assert.match(problem(manifest([{ name: 'x', digest: 'md5:1', size: 1 }])), /entries\.0\.digest/);
  assert.match(
    problem(manifest([{ name: `blobs/sha256/${hex}`, digest, size: 1, extra: true }])),
    /entries\.0/,
  );
  assert.match(
    problem(
      manifest([
        { name: `blobs/sha256/${hex}`, digest, size: 1 },
        { name: `blobs/sha256/${hex}`, digest, size: 1 },
      ]),
    ),
    /listed twice/,
  );
  assert.match(problem(manifest([{ name: '../../evil', digest, size: 1 }])), /"\.\.\/\.\.\/evil"/);
});
