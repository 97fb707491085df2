import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { peerBinary } from './debian-peers.ts';

const exec = promisify(execFile);

export interface SigningKey {
  /** The user id, what `helm package --sign --key` takes. */
  name: string;
  /** The secret key in the legacy keyring format Helm reads (`--keyring` when signing). */
  secring: string;
  /** The public key, what `helm verify` / `pull --verify --keyring` take. */
  pubring: string;
}

/**
 * A throw-away signing key made by the real GnuPG in a GNUPGHOME of its own under `dir`:
 * RSA 2048 without a passphrase, exported to the keyring files Helm reads.
 */
export async function createSigningKey(dir: string, name: string): Promise<SigningKey> {
  const gpg = peerBinary('gpg');
  const home = join(dir, 'gnupg');
  await mkdir(home, { recursive: true, mode: 0o700 });
  const run = async (args: string[]) =>
    (
      await exec(gpg, ['--homedir', home, '--batch', '--pinentry-mode', 'loopback', ...args], {
        timeout: 30_000,
        encoding: 'buffer',
        maxBuffer: 1024 * 1024,
      })
    ).stdout;
  await run(['--passphrase', '', '--quick-gen-key', name, 'rsa2048', 'sign', 'never']);
  const secring = join(dir, 'secring.gpg');
  const pubring = join(dir, 'pubring.gpg');
  await writeFile(secring, await run(['--passphrase', '', '--export-secret-keys', name]));
  await writeFile(pubring, await run(['--export', name]));
  // The agent gpg started for this home would outlive the test.
  await exec(join(gpg, '../gpgconf'), ['--homedir', home, '--kill', 'gpg-agent']).catch(() => {});
  return { name, secring, pubring };
}
