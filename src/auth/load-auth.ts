import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.ts';
import { resolveSecretRef } from '../config/secret-ref.ts';
import { BallastError } from '../errors/ballast-error.ts';
import type { EventBus } from '../observability/events.ts';
import { type AccessPolicy, createAccessPolicy, type RepoAccess } from './access-policy.ts';
import { type Authenticator, createAuthenticator } from './create-authenticator.ts';
import { createFailureThrottle } from './failure-throttle.ts';
import { HtpasswdError, parseHtpasswd } from './htpasswd.ts';
import { createRegistryTokenSigner, type RegistryTokenSigner } from './registry-token.ts';

/** Everything the server needs to authenticate and authorise, built once at start. */
export interface Auth {
  authenticator: Authenticator;
  policy: AccessPolicy;
  signer: RegistryTokenSigner;
  /** Lifetime of issued registry tokens, in milliseconds. */
  tokenTtlMs: number;
  /** The token endpoint's URL when configured; otherwise derived from each request. */
  realm: string | undefined;
  /** True when any user or token exists: then `/v2/` asks for credentials. */
  enabled: boolean;
  /** True when the token key is per process (registry tokens die with it). */
  ephemeralKey: boolean;
}

/**
 * Reads the htpasswd file and the token key, and checks that every name in a repo's `access`
 * is a user or a token: a typo there would otherwise lock everyone out, silently.
 */
export async function loadAuth(
  config: Config,
  options: {
    env?: NodeJS.ProcessEnv;
    /** The event bus for `auth:failed`, once it exists (auth is loaded before anything else). */
    bus?: () => EventBus | undefined;
  } = {},
): Promise<Auth> {
  const { env = process.env, bus } = options;
  const { auth } = config;
  const users =
    auth.htpasswd === undefined ? new Map<string, string>() : await readUsers(auth.htpasswd);
  const known = new Set([...users.keys(), ...auth.tokens.map((t) => t.name)]);
  const access = new Map<string, RepoAccess>();
  config.repos.forEach((repo, i) => {
    const lists = {
      read: repo.access.read === 'anonymous' ? [] : repo.access.read,
      write: repo.access.write,
    };
    for (const [list, names] of Object.entries(lists)) {
      names.forEach((name, j) => {
        if (!known.has(name))
          throw new BallastError('BALLAST_CONFIG_INVALID', {
            key: `repos[${i}].access.${list}[${j}]`,
            problem: `"${name}" is neither a user in auth.htpasswd nor a name in auth.tokens`,
          });
      });
    }
    access.set(repo.name, repo.access);
  });
  const key =
    auth.tokenKey === undefined
      ? randomBytes(32)
      : resolveSecretRef(auth.tokenKey, 'auth.tokenKey', env);
  if (typeof key === 'string' && Buffer.byteLength(key) < 32)
    throw new BallastError('BALLAST_CONFIG_INVALID', {
      key: 'auth.tokenKey',
      problem: 'the key is shorter than 32 bytes; make one with: openssl rand -base64 48',
    });
  const signer = createRegistryTokenSigner(key);
  return {
    authenticator: createAuthenticator({
      users,
      tokens: auth.tokens,
      signer,
      onFailure: (failure) => bus?.()?.emit('auth:failed', failure),
      throttle: createFailureThrottle({
        baseDelayMs: auth.throttle.delay,
        maxDelayMs: auth.throttle.maxDelay,
      }),
    }),
    policy: createAccessPolicy(access),
    signer,
    tokenTtlMs: auth.tokenTtl,
    realm: auth.realm,
    enabled: known.size > 0,
    ephemeralKey: auth.tokenKey === undefined,
  };
}

async function readUsers(file: string): Promise<Map<string, string>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new BallastError('BALLAST_CONFIG_INVALID', {
      key: 'auth.htpasswd',
      problem: `cannot read ${file}: ${reason}`,
    });
  }
  try {
    return parseHtpasswd(text);
  } catch (error) {
    if (!(error instanceof HtpasswdError)) throw error;
    throw new BallastError('BALLAST_CONFIG_INVALID', {
      key: 'auth.htpasswd',
      problem: `${file}: ${error.message}`,
    });
  }
}
