import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createRegistryTokenSigner } from './registry-token.ts';

const claims = {
  subject: 'alice',
  grants: [{ name: 'team/app', actions: ['pull'] }],
  expiresAt: 2_000,
};

test('a token verifies with the key that signed it until it expires', () => {
  let t = 1_000;
  const signer = createRegistryTokenSigner('k'.repeat(32), () => t);
  const token = signer.sign(claims);
  assert.deepEqual(signer.verify(token), claims);
  assert.deepEqual(createRegistryTokenSigner('k'.repeat(32), () => t).verify(token), claims);
  t = 2_000;
  assert.equal(signer.verify(token), undefined);
});

test('a token from another key, altered claims or garbage is refused', () => {
  const signer = createRegistryTokenSigner('k'.repeat(32), () => 0);
  const token = signer.sign(claims);
  assert.equal(createRegistryTokenSigner('x'.repeat(32), () => 0).verify(token), undefined);
  const [payload, signature] = token.slice('blrt.'.length).split('.');
  const forged = Buffer.from(
    JSON.stringify({ sub: 'alice', acc: [{ name: 'other/app', actions: ['pull'] }], exp: 2000 }),
  ).toString('base64url');
  assert.equal(signer.verify(`blrt.${forged}.${signature}`), undefined);
  for (const bad of [
    '',
    'blrt.',
    `blrt.${payload}`,
    `blrt.${payload}.${signature}.x`,
    'a'.repeat(20_000),
  ])
    assert.equal(signer.verify(bad), undefined);
});
