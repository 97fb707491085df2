import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { parseConfig } from './load-config.ts';

const minimal = `
repos:
  - name: prometheus-community
    upstreams:
      - url: https://prometheus-community.github.io/helm-charts
`;

function configErrorOf(text: string, env: NodeJS.ProcessEnv = {}): string {
  try {
    parseConfig(text, 'ballast.yaml', env);
  } catch (error) {
    assert.ok(isBallastError(error, 'BALLAST_CONFIG_INVALID'), String(error));
    return error.message;
  }
  assert.fail('expected a config error');
}

test('defaults fill every key that is left out', () => {
  const { config } = parseConfig(minimal, 'ballast.yaml');
  assert.equal(config.listen, '0.0.0.0:8080');
  assert.equal(config.storage.fs.path, './data');
  const repo = config.repos[0];
  assert.ok(repo);
  assert.equal(repo.refresh, 300_000);
  assert.equal(repo.guard.maxShrink, 0.1);
  assert.deepEqual(repo.upstreams[0]?.chartHosts, []);
  assert.equal(config.limits.indexSize, 64 * 1024 * 1024);
  assert.equal(config.timeouts.connect, 5000);
});

test('the result is frozen', () => {
  const { config } = parseConfig(minimal, 'ballast.yaml');
  assert.throws(() => {
    (config as { listen: string }).listen = 'x';
  }, TypeError);
});

test('errors name the key, the value and what was expected', () => {
  assert.match(
    configErrorOf(`${minimal}    refresh: fivemin\n`),
    /repos\[0\]\.refresh: expected a duration such as 30s, 5m or 24h, got "fivemin"/,
  );
  assert.match(configErrorOf('listen: 8080\n'), /listen: /);
  assert.match(configErrorOf('lisen: 1.2.3.4:80\n'), /\(root\): unknown key\(s\) "lisen"/);
  assert.match(
    configErrorOf('repos: [{ name: a, upstreams: [{ url: "ftp://x" }] }]'),
    /repos\[0\]\.upstreams\[0\]\.url: expected an http:\/\/, https:\/\/ \(classic repository\) or oci:\/\/ \(registry\) URL/,
  );
  assert.match(
    configErrorOf('repos: [{ name: a, upstreams: [] }]'),
    /repos\[0\]\.upstreams: a mirrored repository needs/,
  );
  assert.match(
    configErrorOf(
      'repos: [{ name: a, upstreams: [{url: "http://x"}] }, { name: a, upstreams: [{url: "http://y"}] }]',
    ),
    /repos\[1\]\.name: duplicate repository name "a"/,
  );
  assert.match(
    configErrorOf('repos: [{ name: "../etc", upstreams: [{url: "http://x"}] }]'),
    /repos\[0\]\.name: expected lowercase/,
  );
});

test('malformed YAML and duplicate keys are config errors, not crashes', () => {
  assert.match(configErrorOf('listen: [unclosed\n'), /ballast\.yaml: not valid YAML/);
  assert.match(
    configErrorOf('listen: a:1\nlisten: b:2\n'),
    /not valid YAML: duplicated mapping key/,
  );
  assert.match(configErrorOf('- just\n- a list\n'), /expected a mapping/);
});

test('BALLAST_* variables override the file', () => {
  const { config, envOverrides } = parseConfig(minimal, 'ballast.yaml', {
    BALLAST_LISTEN: '127.0.0.1:9999',
    BALLAST_LOG__LEVEL: 'debug',
    BALLAST_REPOS__0__REFRESH: '1m',
    BALLAST_REPOS__0__GUARD__MAX_SHRINK: '50%',
    OTHER: 'ignored',
  });
  assert.equal(config.listen, '127.0.0.1:9999');
  assert.equal(config.log.level, 'debug');
  assert.equal(config.repos[0]?.refresh, 60_000);
  assert.equal(config.repos[0]?.guard.maxShrink, 0.5);
  assert.equal(envOverrides.length, 4);
});

test('a bad override is reported like a bad file value', () => {
  assert.match(
    configErrorOf(minimal, { BALLAST_REPOS__0__REFRESH: 'soon' }),
    /repos\[0\]\.refresh: expected a duration/,
  );
});
