import assert from 'node:assert/strict';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { sha256Hex } from './bearer-token.ts';
import { createAuthenticator } from './create-authenticator.ts';
import type { FailureThrottle } from './failure-throttle.ts';
import { createRegistryTokenSigner } from './registry-token.ts';

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function setup() {
  const failures: string[] = [];
  const throttle: FailureThrottle = {
    wait: async () => true,
    failed: (address) => failures.push(address),
    size: 0,
  };
  const signer = createRegistryTokenSigner('k'.repeat(32));
  const authenticator = createAuthenticator({
    users: new Map([['alice', await bcrypt.hash('alice-pass', 4)]]),
    tokens: [{ name: 'ci', sha256: sha256Hex('blst_ci-token') }],
    signer,
    throttle,
  });
  return { authenticator, failures, signer };
}

test('Basic, a bearer token, and a token as the password of its own name identify a name', async () => {
  const { authenticator } = await setup();
  const named = (name: string) => ({ kind: 'named', name });
  assert.deepEqual(await authenticator.identify(basic('alice', 'alice-pass'), 'a'), named('alice'));
  assert.deepEqual(await authenticator.identify('Bearer blst_ci-token', 'a'), named('ci'));
  assert.deepEqual(await authenticator.identify(basic('ci', 'blst_ci-token'), 'a'), named('ci'));
  assert.deepEqual(await authenticator.identify(undefined, 'a'), { kind: 'anonymous' });
});

test('a wrong password and an unknown user get the same answer, without the secret; each is a failure', async () => {
  const { authenticator, failures } = await setup();
  const messages: string[] = [];
  for (const header of [
    basic('alice', 'guess-1'),
    basic('nobody', 'guess-2'),
    basic('alice', 'blst_ci-token'),
  ]) {
    await assert.rejects(authenticator.identify(header, '10.1.1.1'), (error: Error) => {
      messages.push(error.message);
      return (
        (error as { code?: string }).code === 'BALLAST_AUTH_INVALID' &&
        !/guess|blst_/.test(error.message)
      );
    });
  }
  assert.equal(new Set(messages).size, 1);
  assert.deepEqual(failures, ['10.1.1.1', '10.1.1.1', '10.1.1.1']);
});

test('registry tokens count only where asked for; a malformed header is a failure, not anonymous', async () => {
  const { authenticator, signer, failures } = await setup();
  const token = signer.sign({ subject: 'alice', grants: [], expiresAt: Date.now() + 60_000 });
  const identity = await authenticator.identify(`Bearer ${token}`, 'a', { registryTokens: true });
  assert.equal(identity.kind, 'registry-token');
  await assert.rejects(authenticator.identify(`Bearer ${token}`, 'a'), {
    code: 'BALLAST_AUTH_INVALID',
  });
  for (const header of [
    'Basic',
    'Basic bm9jb2xvbg==',
    'Bearer a b',
    'Negotiate abc',
    `Basic ${'A'.repeat(20_000)}`,
  ])
    await assert.rejects(authenticator.identify(header, 'b'), { code: 'BALLAST_AUTH_INVALID' });
  assert.equal(failures.filter((a) => a === 'b').length, 5);
});
