import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { parseIndex } from './index-parse.ts';

const digest = 'a'.repeat(64);
const entry = (name: string, version: string, extra = '') => `
  - apiVersion: v2
    name: ${name}
    version: ${version}
    digest: ${digest}
    created: "2024-05-01T10:00:00Z"
    urls:
      - ${name}-${version}.tgz${extra}`;

const wellFormed = `apiVersion: v1
entries:
  app:${entry('app', '1.0.0')}${entry('app', '1.1.0')}
    maintainers:
      - name: ops
        email: ops@example.com
    dependencies:
      - name: redis
        version: 17.x.x
        repository: https://charts.example.com
        enabled: true
        import-values: [{ child: a, parent: b }]
    deprecated: "false"
generated: "2024-05-01T10:00:00Z"
`;

function invalidReason(text: string): string {
  try {
    parseIndex(Buffer.from(text), 'upstream');
  } catch (error) {
    assert.ok(isBallastError(error, 'BALLAST_INDEX_INVALID'), String(error));
    return error.message;
  }
  assert.fail('expected the index to be refused');
}

test('a well-formed index keeps every entry and Helm field', () => {
  const { index, versions, skipped } = parseIndex(Buffer.from(wellFormed), 'upstream');
  assert.equal(versions, 2);
  assert.deepEqual(skipped, []);
  const latest = index.entries.app?.[1];
  assert.equal(latest?.version, '1.1.0');
  assert.deepEqual(latest?.urls, ['app-1.1.0.tgz']);
  assert.equal(latest?.deprecated, false);
  const dependencies = latest?.dependencies as { enabled: boolean }[];
  assert.equal(dependencies[0]?.enabled, true);
});

test('YAML scalars stay strings, as Helm reads them into string fields', () => {
  const { index } = parseIndex(
    Buffer.from(
      wellFormed.replace('version: 1.0.0', 'version: 1.0').replace('app-1.0.0.tgz', 'app-1.0.tgz'),
    ),
    's',
  );
  assert.equal(index.entries.app?.[0]?.version, '1.0');
});

test('a JSON index is read leniently: unknown fields are dropped', () => {
  const json = JSON.stringify({
    apiVersion: 'v1',
    somethingNew: true,
    entries: { app: [{ name: 'app', version: '2.0.0', urls: ['a.tgz'], digest, futureField: 1 }] },
  });
  const { index } = parseIndex(Buffer.from(json), 's');
  assert.equal(index.entries.app?.[0]?.futureField, undefined);
  assert.equal(index.entries.app?.[0]?.apiVersion, 'v1');
});

test('YAML is strict: an unknown field rejects the whole index', () => {
  assert.match(invalidReason(`${wellFormed}surprise: 1\n`), /invalid: <key \d+>: unknown field/);
  assert.match(
    invalidReason(wellFormed.replace('    deprecated: "false"', '    colour: blue')),
    /invalid: entries\.<chart 1>\[1\]\.<key \d+>: unknown field/,
  );
});

test('duplicate keys reject the index', () => {
  assert.match(
    invalidReason('apiVersion: v1\napiVersion: v1\nentries: {}\n'),
    /duplicated mapping key/,
  );
});

test('malformed documents get a clear reason', () => {
  assert.match(invalidReason(''), /empty/);
  assert.match(invalidReason('apiVersion: v1\nentries: [\n'), /not valid YAML/);
  assert.match(invalidReason('- a\n- b\n'), /expected a mapping at the top level/);
  assert.match(invalidReason('entries: {}\n'), /no API version specified/);
  assert.match(
    invalidReason('apiVersion: v1\nentries:\n  app: not-a-list\n'),
    /entries\.<chart 1>: expected a list/,
  );
  assert.match(
    invalidReason(wellFormed.replace('    deprecated: "false"', '    keywords: one')),
    /keywords: expected a list/,
  );
  assert.match(
    invalidReason(wellFormed.replace('"2024-05-01T10:00:00Z"', 'yesterday')),
    /created: expected an RFC 3339 time/,
  );
  assert.match(invalidReason(`${'['.repeat(20000)}`), /nested too deeply|not valid YAML/);
  assert.match(invalidReason('\u0000\u0001\u0002binary'), /not valid YAML|expected a mapping/);
});

test('a YAML alias bomb is refused instead of expanding', () => {
  const bomb = [
    'apiVersion: v1',
    'serverInfo:',
    '  a: &a ["x","x","x","x","x","x","x","x","x","x"]',
    '  b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]',
    '  c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]',
    '  d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]',
    '  e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]',
    '  f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]',
    '  g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]',
    'entries: {}',
  ].join('\n');
  assert.match(invalidReason(bomb), /alias bomb/);
});

test('entries Helm would skip are skipped with a reason, the rest is kept', () => {
  const text = `apiVersion: v1
entries:
  app:${entry('app', '1.0.0')}${entry('app', 'not-semver')}${entry('..', '1.0.0')}${entry('a/b', '1.0.0')}
  - name: app
    urls: [x.tgz]
  - ~
  lib:${entry('lib', '0.1.0')}
    type: plugin
  dep:${entry('dep', '0.1.0')}
    dependencies:
      - { name: x, alias: "bad alias" }
  twice:${entry('twice', '0.1.0')}
    dependencies:
      - { name: x }
      - { name: x }
  nourl:
  - { name: nourl, version: 1.0.0, digest: ${digest} }
  nodigest:
  - { name: nodigest, version: 1.0.0, urls: [n.tgz] }
  baddigest:
  - { name: baddigest, version: 1.0.0, digest: sha256:abc, urls: [b.tgz] }
`;
  const { versions, skipped, index } = parseIndex(Buffer.from(text), 's');
  assert.equal(versions, 1);
  assert.deepEqual(Object.keys(index.entries), ['app']);
  assert.deepEqual(
    skipped.map((s) => s.reason),
    [
      'version "not-semver" is not valid semver',
      'name ".." is not allowed',
      'name "a/b" is not allowed',
      'no version',
      'type must be application or library',
      'dependency alias "bad alias" is invalid',
      'more than one dependency with name or alias "x"',
      'no urls',
      'no digest',
      'digest is not 64 hex characters',
    ],
  );
});

test('lenient semver as Helm reads it', () => {
  const ok = ['1.2.3', 'v1.2.3', '1.2', '1', '1.0.0-rc.1', '1.0.0+build.5', '1.0.0-alpha-1'];
  for (const version of ok) {
    const { versions } = parseIndex(
      Buffer.from(`apiVersion: v1\nentries:\n  a:${entry('a', version)}\n`),
      's',
    );
    assert.equal(versions, 1, version);
  }
  for (const version of ['1.2.3.4', '01.2.3', '1.0.0-01', 'latest', '1.0.0+']) {
    const { versions } = parseIndex(
      Buffer.from(`apiVersion: v1\nentries:\n  a:${entry('a', version)}\n`),
      's',
    );
    assert.equal(versions, 0, version);
  }
});

test('a chart named __proto__ cannot pollute prototypes', () => {
  const { index } = parseIndex(
    Buffer.from(`apiVersion: v1\nentries:\n  __proto__:${entry('__proto__', '1.0.0')}\n`),
    's',
  );
  assert.equal(({} as Record<string, unknown>).name, undefined);
  assert.equal(Object.keys(index.entries).length, 1);
});

test('a refused index is described by position, never by its own keys or values', () => {
  const hostile = [
    `${wellFormed}db_password: hunter2\n`,
    wellFormed.replace('    deprecated: "false"', '    aws_secret: AKIAEXAMPLE'),
    'apiVersion: v1\nentries:\n  internal-db-creds: hunter2\n',
    'apiVersion: v1\nentries: *hunter2\n',
    'apiVersion: v1\nentries: !hunter2 {}\n',
    'apiVersion: v1\nentries:\n  x:\n    - annotations: { db_password: [hunter2] }\n',
  ];
  for (const text of hostile) {
    const reason = invalidReason(text);
    assert.doesNotMatch(reason, /hunter2|db_password|aws_secret|AKIA|internal-db/, reason);
  }
});
