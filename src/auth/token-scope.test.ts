import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAccessPolicy } from './access-policy.ts';
import { grantScopes, parseScopes } from './token-scope.ts';

const policy = createAccessPolicy(
  new Map([
    ['public', { read: 'anonymous' as const, write: ['ci'] }],
    ['team', { read: ['alice', 'ci'], write: ['ci'] }],
  ]),
);

test('scopes come space-separated and repeated; other types and names are dropped', () => {
  assert.deepEqual(
    parseScopes([
      'repository:team/app:pull,push repository:public/app:pull',
      'registry:catalog:* repository:a/b/c:pull',
    ]),
    [
      { name: 'team/app', actions: ['pull', 'push'] },
      { name: 'public/app', actions: ['pull'] },
    ],
  );
  assert.deepEqual(parseScopes(undefined), []);
});

test('too many or too long scopes are a 400', () => {
  const many = Array.from({ length: 33 }, (_, i) => `repository:a/c${i}:pull`).join(' ');
  assert.throws(() => parseScopes(many), { code: 'BALLAST_AUTH_SCOPE_INVALID' });
  assert.throws(() => parseScopes(`repository:a/${'c'.repeat(600)}:pull`), {
    code: 'BALLAST_AUTH_SCOPE_INVALID',
  });
});

test('a token grants what its subject may do of what was asked, nothing more', () => {
  const asked = parseScopes('repository:team/app:pull,push repository:public/app:pull,push');
  assert.deepEqual(grantScopes(asked, null, policy), [{ name: 'public/app', actions: ['pull'] }]);
  assert.deepEqual(grantScopes(asked, 'alice', policy), [
    { name: 'team/app', actions: ['pull'] },
    { name: 'public/app', actions: ['pull'] },
  ]);
  assert.deepEqual(grantScopes(asked, 'ci', policy), [
    { name: 'team/app', actions: ['pull', 'push'] },
    { name: 'public/app', actions: ['pull', 'push'] },
  ]);
  assert.deepEqual(grantScopes(parseScopes('repository:nosuch/app:pull'), 'alice', policy), [
    { name: 'nosuch/app', actions: ['pull'] },
  ]);
});
