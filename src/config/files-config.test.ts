import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { parseConfig } from './load-config.ts';

test('files: a plain URL is shorthand for { url }; defaults filled in', () => {
  const { config } = parseConfig(
    [
      'files:',
      '  - name: helm',
      '    upstreams:',
      '      - https://get.helm.sh',
      '      - url: https://mirror.example.com/helm',
      "        rewrite: { match: '^helm-(v[^-]+)-(.*)$', to: '$1/helm-$1-$2' }",
      '    mutable: [helm-latest-version]',
    ].join('\n'),
    'test',
  );
  const [helm] = config.files;
  assert.deepEqual(helm?.upstreams[0], { url: 'https://get.helm.sh', redirectHosts: [] });
  assert.equal(helm?.upstreams[1]?.rewrite?.to, '$1/helm-$1-$2');
  assert.equal(helm?.checksum, 'sidecar');
  assert.equal(helm?.refresh, 300_000);
  assert.equal(helm?.maxSize, 4 * 1024 ** 3);
  assert.equal(helm?.deadline, 30 * 60_000);
});

test('files: errors name the key', () => {
  const problem = (text: string) => {
    try {
      parseConfig(text, 'test');
    } catch (error) {
      assert.ok(isBallastError(error, 'BALLAST_CONFIG_INVALID'));
      return error.message;
    }
    assert.fail('accepted');
  };
  assert.match(
    problem(
      "files: [{ name: h, upstreams: [{ url: 'https://x', rewrite: { match: '(', to: '' } }] }]",
    ),
    /files\[0\]\.upstreams\[0\]\.rewrite\.match: expected a JavaScript regular expression/,
  );
  assert.match(
    problem('files: [{ name: h, upstreams: [ftp://x] }]'),
    /files\[0\]\.upstreams\[0\]\.url/,
  );
  assert.match(problem('files: [{ name: h, upstreams: [] }]'), /at least one upstream/);
  assert.match(problem('files: [{ name: h, upstreams: [http://x], checksum: md5 }]'), /checksum/);
  assert.match(
    problem('files: [{ name: h, upstreams: [http://x] }, { name: h, upstreams: [http://y] }]'),
    /duplicate file mirror name/,
  );
});
