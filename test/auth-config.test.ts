import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { hashToken, users, writeHtpasswd } from './support/auth-ballast.ts';
import { runBallastCli } from './support/ballast-cli.ts';
import { peerBinary } from './support/debian-peers.ts';

const exec = promisify(execFile);

describe('auth config is checked at start and by config check', () => {
  let dir: string;
  let htpasswd: string;
  let ciEntry: unknown;

  const check = async (config: Record<string, unknown>, env: NodeJS.ProcessEnv = {}) => {
    const file = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, yaml.dump(config));
    return runBallastCli(['config', 'check', file], { env });
  };
  const repo = (access: unknown) => ({
    name: 'private',
    upstreams: [{ url: 'http://127.0.0.1:9/' }],
    access,
  });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ballast-auth-config-'));
    htpasswd = join(dir, 'htpasswd');
    await writeHtpasswd(htpasswd, users);
    ciEntry = (await hashToken('ci')).entry;
  });

  test('a valid auth config passes', async () => {
    const run = await check(
      {
        auth: { htpasswd, tokens: [ciEntry], tokenKey: { env: 'KEY' } },
        repos: [repo({ read: ['alice', 'ci'], write: ['ci'] })],
      },
      { KEY: 'k'.repeat(40) },
    );
    assert.equal(run.code, 0, run.stderr);
  });

  test('an unreadable htpasswd file names auth.htpasswd', async () => {
    const run = await check({ auth: { htpasswd: join(dir, 'missing') } });
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /BALLAST_CONFIG_INVALID: config: auth\.htpasswd: cannot read .*ENOENT/,
    );
  });

  test('an entry that is not bcrypt (htpasswd -m) names the line, not the hash', async () => {
    const file = join(dir, 'md5');
    await writeHtpasswd(file, { alice: users.alice });
    await exec(peerBinary('htpasswd'), ['-bm', file, 'carol', 'carol-pass']);
    const run = await check({ auth: { htpasswd: file } });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /auth\.htpasswd: .*line 2 \(user carol\): not a bcrypt hash/);
    assert.doesNotMatch(run.stderr, /\$apr1\$/);
  });

  test('a name in access that is no user or token names its key', async () => {
    const run = await check({
      auth: { htpasswd, tokens: [ciEntry] },
      repos: [repo({ read: ['alice'], write: ['cii'] })],
    });
    assert.equal(run.code, 1);
    assert.match(run.stderr, /repos\[0\]\.access\.write\[0\]: "cii" is neither a user/);
    const noAuth = await check({ repos: [repo({ read: ['alice'] })] });
    assert.match(noAuth.stderr, /repos\[0\]\.access\.read\[0\]/);
  });

  test('malformed tokens, a missing or short token key, and a bad read value are refused', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ auth: { tokens: [{ name: 'ci', sha256: 'abc' }] } }, /auth\.tokens\[0\]\.sha256/],
      [{ auth: { tokens: [ciEntry, ciEntry] } }, /auth\.tokens\[1\]\.name: duplicate/],
      [
        { auth: { tokenKey: { env: 'NOPE_NOT_SET' } } },
        /auth\.tokenKey: environment variable NOPE_NOT_SET/,
      ],
      [
        { auth: { tokenKey: { file: join(dir, 'missing') } } },
        /auth\.tokenKey: file .* cannot be read/,
      ],
      [{ auth: { tokenKey: 'inline-secret' } }, /auth\.tokenKey/],
      [{ repos: [repo({ read: 'everyone' })] }, /repos\[0\]\.access\.read/],
      [{ repos: [repo({ read: [] })] }, /repos\[0\]\.access\.read/],
    ];
    for (const [config, expected] of cases) {
      const run = await check(config);
      assert.equal(run.code, 1, JSON.stringify(config));
      assert.match(run.stderr, expected);
    }
    const short = await check({ auth: { tokenKey: { env: 'KEY' } } }, { KEY: 'short' });
    assert.match(short.stderr, /auth\.tokenKey: the key is shorter than 32 bytes/);
    assert.doesNotMatch(short.stderr, /short"/);
  });
});
