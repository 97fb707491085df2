import assert from 'node:assert/strict';
import { test } from 'node:test';
import { newestFirst, parseChartVersion } from './chart-version.ts';

test('leading zeros in numeric parts are coerced, as Helm reads them', () => {
  const parsed = parseChartVersion('v0.24.000');
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.version, {
    major: '0',
    minor: '24',
    patch: '0',
    prerelease: '',
    build: '',
  });
});

test('what Masterminds refuses is refused, with its reason', () => {
  const reasons = Object.fromEntries(
    ['1.0.0-01', 'x1', '1.2.3.4', '', '99999999999999999999'].map((v) => {
      const parsed = parseChartVersion(v);
      return [v, parsed.ok ? 'ok' : parsed.reason];
    }),
  );
  assert.deepEqual(reasons, {
    '1.0.0-01': 'version segment starts with 0',
    x1: 'invalid semantic version',
    '1.2.3.4': 'invalid semantic version',
    '': 'invalid semantic version',
    '99999999999999999999': 'a version part is larger than 64 bits',
  });
});

test('sorted newest first as Helm sorts an index; unparsable last', () => {
  const versions = [
    'junk',
    '1.0.0-alpha',
    '1.0.0',
    '1.0.0-alpha.1',
    '1.0.0-beta',
    '1.0.0-2',
    '1.0.0-10',
    '1.13.000',
    '1.9',
    'v2',
    '18446744073709551615.0.0',
  ];
  assert.deepEqual(versions.sort(newestFirst), [
    '18446744073709551615.0.0',
    'v2',
    '1.13.000',
    '1.9',
    '1.0.0',
    '1.0.0-beta',
    '1.0.0-alpha.1',
    '1.0.0-alpha',
    '1.0.0-10',
    '1.0.0-2',
    'junk',
  ]);
});
