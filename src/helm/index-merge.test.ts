import assert from 'node:assert/strict';
import { test } from 'node:test';
import { keepEntries, mergeIndexes } from './index-merge.ts';
import type { ChartVersion, HelmIndex } from './index-parse.ts';

const entry = (name: string, version: string, url: string): ChartVersion => ({
  name,
  version,
  urls: [url],
  digest: 'a'.repeat(64),
});
const index = (...entries: ChartVersion[]): HelmIndex => {
  const out: HelmIndex = { apiVersion: 'v1', entries: {} };
  for (const e of entries) {
    out.entries[e.name] ??= [];
    out.entries[e.name]?.push(e);
  }
  return out;
};

test('merge unions entries and the first index wins a conflict', () => {
  const merged = mergeIndexes([
    index(entry('a', '1.0.0', 'first/a-1'), entry('b', '1.0.0', 'first/b-1')),
    index(
      entry('a', '1.0.0', 'second/a-1'),
      entry('a', '2.0.0', 'second/a-2'),
      entry('c', '1.0.0', 'second/c-1'),
    ),
  ]);
  assert.deepEqual(
    Object.values(merged.entries)
      .flat()
      .map((e) => e.urls[0])
      .sort(),
    ['first/a-1', 'first/b-1', 'second/a-2', 'second/c-1'],
  );
});

test('kept entries come back only where the index dropped them', () => {
  const current = index(entry('a', '2.0.0', 'u/a-2'));
  const added = keepEntries(current, [
    entry('a', '1.0.0', 'u/a-1'),
    entry('a', '2.0.0', 'old/a-2'),
    entry('z', '1.0.0', 'u/z'),
  ]);
  assert.equal(added, 2);
  assert.deepEqual(
    current.entries.a?.map((e) => e.urls[0]),
    ['u/a-2', 'u/a-1'],
  );
  assert.deepEqual(
    current.entries.z?.map((e) => e.version),
    ['1.0.0'],
  );
});
