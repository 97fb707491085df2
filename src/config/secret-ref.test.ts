import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { parseConfig } from './load-config.ts';
import { resolveSecretRef, secretRefSchema } from './secret-ref.ts';

const key = 'repos[0].upstreams[0].auth.password';

function problemOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(isBallastError(error, 'BALLAST_CONFIG_INVALID'), String(error));
    return error.message;
  }
  assert.fail('expected a config error');
}

test('an env reference reads the variable; unset or empty is an error naming the key', () => {
  assert.equal(resolveSecretRef({ env: 'PW' }, key, { PW: 's3cret' }), 's3cret');
  assert.equal(
    problemOf(() => resolveSecretRef({ env: 'CHARTS_PASSWORD' }, key, {})),
    `config: ${key}: environment variable CHARTS_PASSWORD is not set`,
  );
  assert.match(
    problemOf(() => resolveSecretRef({ env: 'PW' }, key, { PW: '' })),
    /PW is empty/,
  );
  assert.match(
    problemOf(() => resolveSecretRef({ env: 'PW' }, key, { PW: 'a\r\nX-Evil: 1' })),
    /PW holds a line break/,
  );
});

test('a file reference reads the file without its trailing newline; errors never quote it', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-secret-'));
  const one = join(dir, 'pw');
  await writeFile(one, 's3cret\n');
  assert.equal(resolveSecretRef({ file: one }, key), 's3cret');
  const two = join(dir, 'two');
  await writeFile(two, 's3cret\nmore\n');
  const multi = problemOf(() => resolveSecretRef({ file: two }, key));
  assert.match(multi, /holds more than one line/);
  assert.doesNotMatch(multi, /s3cret/);
  assert.match(
    problemOf(() => resolveSecretRef({ file: join(dir, 'missing') }, key)),
    new RegExp(`${key.replace(/[[\].]/g, '\\$&')}: file .*missing cannot be read \\(ENOENT\\)`),
  );
  await writeFile(join(dir, 'empty'), '\n');
  assert.match(
    problemOf(() => resolveSecretRef({ file: join(dir, 'empty') }, key)),
    /is empty/,
  );
  await writeFile(join(dir, 'big'), 'x'.repeat(100_000));
  assert.match(
    problemOf(() => resolveSecretRef({ file: join(dir, 'big') }, key)),
    /not a secret/,
  );
});

test('the schema takes { env } or { file }, and refuses a secret written inline', () => {
  assert.ok(secretRefSchema.safeParse({ env: 'A_B' }).success);
  assert.ok(secretRefSchema.safeParse({ file: '/run/secrets/x' }).success);
  assert.equal(secretRefSchema.safeParse({ env: 'A', file: 'b' }).success, false);
  assert.equal(secretRefSchema.safeParse({ env: 'not a name' }).success, false);
});

const upstreamWith = (auth: string, url = 'https://charts.example.com/private') =>
  `repos:\n  - name: private\n    upstreams:\n      - url: ${url}\n        auth: ${auth}\n`;

test('config: upstream auth is resolved at load, and its errors name the key', () => {
  const { config } = parseConfig(
    upstreamWith('{ username: ci, password: { env: CHARTS_PASSWORD } }'),
    'ballast.yaml',
    { CHARTS_PASSWORD: 's3cret' },
  );
  assert.deepEqual(config.repos[0]?.upstreams[0]?.auth, {
    username: 'ci',
    password: { env: 'CHARTS_PASSWORD' },
  });
  assert.equal(
    problemOf(() =>
      parseConfig(upstreamWith('{ username: ci, password: { env: CHARTS_PASSWORD } }'), 'y', {}),
    ),
    'config: repos[0].upstreams[0].auth.password: environment variable CHARTS_PASSWORD is not set',
  );
  const inline = problemOf(() =>
    parseConfig(upstreamWith('{ username: ci, password: s3cret }'), 'y'),
  );
  assert.match(inline, /repos\[0\]\.upstreams\[0\]\.auth/);
  assert.doesNotMatch(inline, /s3cret/);
  assert.match(
    problemOf(() =>
      parseConfig(upstreamWith('{ token: { env: T } }', 'oci://ghcr.io/org'), 'y', { T: 'x' }),
    ),
    /auth\.token: an oci:\/\/ upstream takes \{ username, password \}/,
  );
});

test('config: credentials inside an upstream URL are refused, pointing at auth', () => {
  for (const url of ['https://ci:s3cret@charts.example.com/', 'https://ci@charts.example.com/']) {
    const problem = problemOf(() =>
      parseConfig(`repos:\n  - name: p\n    upstreams: [{ url: "${url}" }]\n`, 'y'),
    );
    assert.match(
      problem,
      /repos\[0\]\.upstreams\[0\]\.url: credentials in the URL are not used: give them as auth/,
    );
    assert.doesNotMatch(problem, /s3cret/);
  }
  assert.match(
    problemOf(() =>
      parseConfig('repos:\n  - name: p\n    upstreams: [{ url: "not a url" }]\n', 'y'),
    ),
    /repos\[0\]\.upstreams\[0\]\.url: expected an http/,
  );
  assert.match(
    problemOf(() => parseConfig('files:\n  - name: f\n    upstreams: ["nope"]\n', 'y')),
    /files\[0\]\.upstreams\[0\]\.url: expected an http/,
  );
  const files = problemOf(() =>
    parseConfig('files:\n  - name: f\n    upstreams: ["https://u:s3cret@get.example.com"]\n', 'y'),
  );
  assert.match(files, /files\[0\]\.upstreams\[0\]\.url: credentials in the URL/);
});

test('config: the inline OCI credentials of earlier versions point at auth', () => {
  const problem = problemOf(() =>
    parseConfig(
      'repos:\n  - name: o\n    charts: [demo]\n    upstreams:\n      - url: oci://ghcr.io/org\n        credentials: { username: ci, password: s3cret }\n',
      'y',
    ),
  );
  assert.match(problem, /repos\[0\]\.upstreams\[0\]\.credentials: replaced by auth/);
  assert.doesNotMatch(problem, /s3cret/);
});
