import assert from 'node:assert/strict';
import { test } from 'node:test';
import { guardRefusal } from './index-guard.ts';

test('an empty index is refused, with or without a last good one', () => {
  assert.equal(guardRefusal({ versions: 0 }, undefined, 0.1)?.reason, 'empty');
  assert.equal(guardRefusal({ versions: 0 }, { versions: 10 }, 0.1)?.reason, 'empty');
});

test('shrinking past maxShrink is refused; within it is accepted', () => {
  assert.equal(guardRefusal({ versions: 89 }, { versions: 100 }, 0.1)?.reason, 'shrink');
  assert.match(
    guardRefusal({ versions: 89 }, { versions: 100 }, 0.1)?.message ?? '',
    /from 100 to 89/,
  );
  assert.equal(guardRefusal({ versions: 90 }, { versions: 100 }, 0.1), undefined);
  assert.equal(guardRefusal({ versions: 150 }, { versions: 100 }, 0), undefined);
});

test('the first index is accepted when it has entries', () => {
  assert.equal(guardRefusal({ versions: 1 }, undefined, 0), undefined);
});
