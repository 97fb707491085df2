import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHtpasswd } from './htpasswd.ts';

const hash = '$2y$05$T3Tbm39rscdtJ7Yyfyidy.PxIDayszSKUmsfQE7uX9vAmEZd1L06m';

test('reads bcrypt users, skipping blank lines and comments', () => {
  const users = parseHtpasswd(`# team\nalice:${hash}\r\n\nbob:${hash.replace('$2y$', '$2b$')}\n`);
  assert.deepEqual([...users.keys()], ['alice', 'bob']);
});

test('refuses other hash kinds, naming the line and user but never the hash', () => {
  for (const entry of [
    'carol:$apr1$abc$0123456789012345678901',
    'carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=',
    'carol:plaintext',
    `carol:${hash.slice(0, -1)}`,
  ]) {
    assert.throws(
      () => parseHtpasswd(`alice:${hash}\n${entry}\n`),
      (error: Error) =>
        /line 2 \(user carol\): not a bcrypt hash/.test(error.message) &&
        !error.message.includes(entry.slice(6)),
    );
  }
});

test('refuses lines without a user, and users given twice', () => {
  assert.throws(() => parseHtpasswd(`:${hash}`), /line 1: expected user:hash/);
  assert.throws(() => parseHtpasswd('no-colon'), /line 1: expected user:hash/);
  assert.throws(() => parseHtpasswd(`a:${hash}\na:${hash}`), /line 2: user a appears twice/);
});
