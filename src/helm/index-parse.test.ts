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
  nullmaintainer:${entry('nullmaintainer', '0.1.0')}
    maintainers: [{ name: a }, ~]
  nulldependency:${entry('nulldependency', '0.1.0')}
    dependencies: [null]
`;
  const { versions, skipped, dropped, index } = parseIndex(Buffer.from(text), 's');
  assert.equal(versions, 1);
  assert.deepEqual(Object.keys(index.entries), ['app']);
  assert.deepEqual(dropped, []);
  assert.deepEqual(
    skipped.map((s) => s.reason),
    [
      'version "not-semver" is not valid semver (invalid semantic version)',
      'name ".." is not allowed',
      'name "a/b" is not allowed',
      'no version',
      'empty entry',
      'type must be application or library',
      'dependency alias "bad alias" is invalid',
      'maintainers must not contain empty or null nodes',
      'dependencies must not contain empty or null nodes',
    ],
  );
});

test('duplicate dependency names keep the entry, as Helm does', () => {
  const text = `apiVersion: v1
entries:
  twice:${entry('twice', '0.1.0')}
    dependencies:
      - { name: x }
      - { name: x }
`;
  assert.equal(parseIndex(Buffer.from(text), 's').versions, 1);
});

test('entries without a usable digest: dropped with skip, kept with pin; no URL is kept', () => {
  const text = `apiVersion: v1
entries:
  nourl:
  - { name: nourl, version: 1.0.0, digest: ${digest} }
  nodigest:
  - { name: nodigest, version: 1.0.0, urls: [n.tgz] }
  emptydigest:
  - { name: emptydigest, version: 1.0.0, digest: "", urls: [e.tgz] }
  baddigest:
  - { name: baddigest, version: 1.0.0, digest: sha256:abc, urls: [b.tgz] }
`;
  const skip = parseIndex(Buffer.from(text), 's', { unverified: 'skip' });
  assert.equal(skip.versions, 1);
  assert.deepEqual(
    skip.dropped.map((s) => `${s.chart}: ${s.reason}`),
    ['nodigest: no digest', 'emptydigest: no digest', 'baddigest: digest is not 64 hex characters'],
  );
  const pin = parseIndex(Buffer.from(text), 's', { unverified: 'pin' });
  assert.deepEqual(Object.keys(pin.index.entries), [
    'nourl',
    'nodigest',
    'emptydigest',
    'baddigest',
  ]);
  assert.deepEqual(pin.index.entries.nourl?.[0]?.urls, [], 'Helm lists it, so Ballast serves it');
  assert.equal(pin.unverified.length, 3);
  assert.equal(
    pin.index.entries.baddigest?.[0]?.digest,
    undefined,
    'an unusable digest is not served',
  );
});

test('a sha256:-prefixed digest is served as bare hex, and reported', () => {
  const upper = 'AB'.repeat(32);
  const text = `apiVersion: v1
entries:
  a:
  - { name: a, version: 1.0.0, digest: "sha256:${upper}", urls: [a.tgz] }
`;
  const { index, repairs } = parseIndex(Buffer.from(text), 's');
  assert.equal(index.entries.a?.[0]?.digest, 'ab'.repeat(32));
  assert.deepEqual(
    repairs.map((r) => [r.chart, r.kind]),
    [['a', 'digest-prefix']],
  );
});

test('field names in another case are read as Helm reads them and served canonically', () => {
  const yamlText = `APIVersion: v1
entries:
  a:
  - apiversion: v2
    Name: a
    VERSION: 1.0.0
    appversion: "2.0"
    kubeversion: ">=1.20"
    maintainers: [{ NAME: ops, Email: ops@example.com }]
    digest: ${digest}
    urls: [a.tgz]
`;
  const fromYaml = parseIndex(Buffer.from(yamlText), 's');
  const served = fromYaml.index.entries.a?.[0];
  assert.equal(fromYaml.index.apiVersion, 'v1');
  assert.equal(served?.apiVersion, 'v2');
  assert.equal(served?.appVersion, '2.0');
  assert.equal(served?.kubeVersion, '>=1.20');
  assert.deepEqual(
    { ...(served?.maintainers as object[] | undefined)?.[0] },
    { name: 'ops', email: 'ops@example.com' },
  );
  assert.ok(fromYaml.repairs.every((r) => r.kind === 'field-name'));
  const jsonText = JSON.stringify({
    apiVersion: 'v1',
    entries: {
      a: [
        { name: 'a', version: '1.0.0', AppVersion: '3', DESCRIPTION: 'd', digest, urls: ['a.tgz'] },
      ],
    },
  });
  const fromJson = parseIndex(Buffer.from(jsonText), 's').index.entries.a?.[0];
  assert.equal(fromJson?.appVersion, '3');
  assert.equal(fromJson?.description, 'd');
});

test('an unquoted number where text belongs keeps the upstream text and is reported', () => {
  const yamlText = `apiVersion: v1
entries:
  a:
  - name: a
    version: 1.0.0
    appVersion: 1.40
    digest: ${digest}
    urls: [a.tgz]
  b:
  - name: b
    version: 1.0.0
    appVersion: "1.5"
    digest: ${digest}
    urls: [b.tgz]
`;
  const fromYaml = parseIndex(Buffer.from(yamlText), 's');
  assert.equal(fromYaml.index.entries.a?.[0]?.appVersion, '1.40');
  assert.equal(fromYaml.index.entries.b?.[0]?.appVersion, '1.5');
  assert.deepEqual(
    fromYaml.repairs.map((r) => [r.chart, r.kind, r.detail]),
    [['a', 'number-as-text', 'entries.<chart 1>[0].appVersion: 1.40']],
  );
  const jsonText = `{"apiVersion":"v1","entries":{"a":[{"name":"a","version":"1.0.0","appVersion":1.40,"digest":"${digest}","urls":["a.tgz"]}]}}`;
  const fromJson = parseIndex(Buffer.from(jsonText), 's');
  assert.equal(fromJson.format, 'json');
  assert.equal(fromJson.index.entries.a?.[0]?.appVersion, '1.40');
  assert.equal(fromJson.repairs[0]?.kind, 'number-as-text');
});

test('versions as Helm reads them (Masterminds semver, loose)', () => {
  const ok = ['1.2.3', 'v1.2.3', '1.2', '1', '1.0.0-rc.1', '1.0.0+build.5', '1.0.0-alpha-1'];
  ok.push('01.2.3', '1.13.000', 'v0.24.000', '3.5.0081+1539', '1.0.0+01');
  for (const version of ok) {
    const { versions } = parseIndex(
      Buffer.from(`apiVersion: v1\nentries:\n  a:${entry('a', version)}\n`),
      's',
    );
    assert.equal(versions, 1, version);
  }
  const refused = ['1.2.3.4', '1.0.0-01', 'latest', '1.0.0+', 'V1.0.0', '18446744073709551616.0.0'];
  for (const version of refused) {
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
