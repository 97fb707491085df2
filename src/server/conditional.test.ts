import assert from 'node:assert/strict';
import { test } from 'node:test';
import { matchesEtag, negotiateEncoding, parseRange } from './conditional.ts';

test('If-None-Match matches weakly, in lists, and with *', () => {
  assert.ok(matchesEtag('"abc"', '"abc"'));
  assert.ok(matchesEtag('W/"abc"', '"abc"'));
  assert.ok(matchesEtag('"x", "abc"', '"abc"'));
  assert.ok(matchesEtag('*', '"abc"'));
  assert.ok(!matchesEtag('"abcd"', '"abc"'));
  assert.ok(!matchesEtag(undefined, '"abc"'));
});

test('encoding negotiation prefers brotli, honours q=0', () => {
  assert.equal(negotiateEncoding('gzip, deflate, br'), 'br');
  assert.equal(negotiateEncoding('gzip'), 'gzip');
  assert.equal(negotiateEncoding('br;q=0, gzip'), 'gzip');
  assert.equal(negotiateEncoding('br;q=0.5, gzip;q=1'), 'gzip');
  assert.equal(negotiateEncoding('identity'), 'identity');
  assert.equal(negotiateEncoding('*'), 'br');
  assert.equal(negotiateEncoding(undefined), 'identity');
});

test('byte ranges: first-last, open-ended, suffix, unsatisfiable, ignored', () => {
  assert.deepEqual(parseRange('bytes=0-9', 100), { start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=90-', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=-10', 100), { start: 90, end: 99 });
  assert.deepEqual(parseRange('bytes=50-500', 100), { start: 50, end: 99 });
  assert.equal(parseRange('bytes=100-', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=9-3', 100), 'unsatisfiable');
  assert.equal(parseRange('bytes=0-1,5-6', 100), undefined);
  assert.equal(parseRange('items=0-1', 100), undefined);
  assert.equal(parseRange(undefined, 100), undefined);
});
