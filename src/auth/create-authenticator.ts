import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { BallastError } from '../errors/ballast-error.ts';
import { sha256Hex } from './bearer-token.ts';
import { type Credentials, invalid, parseAuthorization } from './credentials.ts';
import type { FailureThrottle } from './failure-throttle.ts';
import {
  isRegistryToken,
  type RegistryTokenClaims,
  type RegistryTokenSigner,
} from './registry-token.ts';

/** Who a request is: nobody, a named user or token, or the bearer of a registry token. */
export type Identity =
  | { kind: 'anonymous' }
  | { kind: 'named'; name: string }
  | { kind: 'registry-token'; claims: RegistryTokenClaims };

export interface AuthenticatorOptions {
  /** htpasswd users: name → bcrypt hash. */
  users: ReadonlyMap<string, string>;
  tokens: readonly { name: string; sha256: string }[];
  signer: RegistryTokenSigner;
  throttle: FailureThrottle;
  /** Told of every refused credential (for the log and metrics); never given the secret. */
  onFailure?: (failure: {
    scheme: string;
    reason: 'invalid' | 'throttled';
    address: string;
  }) => void;
  /** How long a verified password is remembered, so Helm's request per chart costs no bcrypt. */
  verifiedTtlMs?: number;
  now?: () => number;
}

export interface Authenticator {
  /**
   * The identity behind an `Authorization` header. Throws BALLAST_AUTH_INVALID for credentials
   * that are present but wrong, after the client address's failure delay.
   */
  identify(
    header: string | undefined,
    address: string,
    accept?: { registryTokens?: boolean },
  ): Promise<Identity>;
}

const maxRemembered = 1024;

export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { users, signer, throttle } = options;
  const now = options.now ?? Date.now;
  const verifiedTtl = options.verifiedTtlMs ?? 5 * 60_000;
  const tokenHashes = options.tokens.map((t) => ({
    name: t.name,
    hash: Buffer.from(t.sha256, 'hex'),
  }));
  // Remembered passwords are keyed by an HMAC under a key that dies with the process.
  const rememberKey = randomBytes(32);
  const remembered = new Map<string, number>();
  const someHash = users.values().next().value;

  const rememberedKey = (user: string, password: string) =>
    createHmac('sha256', rememberKey).update(`${user}\0${password}`).digest('hex');

  const remember = (key: string) => {
    remembered.delete(key);
    remembered.set(key, now() + verifiedTtl);
    if (remembered.size > maxRemembered) {
      const oldest = remembered.keys().next().value;
      if (oldest !== undefined) remembered.delete(oldest);
    }
  };

  const tokenName = (token: string): string | undefined => {
    const presented = Buffer.from(sha256Hex(token), 'hex');
    let found: string | undefined;
    // Every stored hash is compared, in constant time, whichever matches.
    for (const { name, hash } of tokenHashes) {
      if (timingSafeEqual(presented, hash)) found ??= name;
    }
    return found;
  };

  /** Credentials known good without bcrypt: a token, or a password verified recently. */
  const quick = (credentials: Credentials, registryTokens: boolean): Identity | undefined => {
    if (credentials.scheme === 'basic') {
      // A token as the password of its own name, for clients that only speak user/password
      // (`helm registry login`, `skopeo --creds`).
      if (tokenName(credentials.password) === credentials.user)
        return { kind: 'named', name: credentials.user };
      const until = remembered.get(rememberedKey(credentials.user, credentials.password));
      return until !== undefined && until > now()
        ? { kind: 'named', name: credentials.user }
        : undefined;
    }
    if (isRegistryToken(credentials.token)) {
      const claims = registryTokens ? signer.verify(credentials.token) : undefined;
      return claims && { kind: 'registry-token', claims };
    }
    const name = tokenName(credentials.token);
    return name === undefined ? undefined : { kind: 'named', name };
  };

  /** The bcrypt check, taken only in the address's turn; anything else here is a failure. */
  const slow = async (credentials: Credentials): Promise<Identity> => {
    if (credentials.scheme === 'bearer')
      throw invalid(
        'bearer',
        isRegistryToken(credentials.token)
          ? 'the registry token is expired, not signed by this server, or not valid here'
          : 'unknown token',
      );
    const { user, password } = credentials;
    const hash = users.get(user);
    // An unknown user costs one bcrypt too, so timing does not tell which users exist.
    const ok = await bcrypt.compare(password, hash ?? someHash ?? '');
    if (!ok || hash === undefined) throw invalid('basic', 'unknown user or wrong password');
    remember(rememberedKey(user, password));
    return { kind: 'named', name: user };
  };

  return {
    async identify(header, address, accept = {}) {
      let credentials: Credentials | undefined;
      try {
        credentials = parseAuthorization(header);
      } catch (error) {
        throttle.failed(address);
        options.onFailure?.({ scheme: 'header', reason: 'invalid', address });
        throw error;
      }
      if (!credentials) return { kind: 'anonymous' };
      // Known good credentials are never slowed, so one noisy client behind a shared address
      // does not hold up the others; everything else waits for the address's turn.
      const known = quick(credentials, accept.registryTokens ?? false);
      if (known) return known;
      if (!(await throttle.wait(address))) {
        options.onFailure?.({ scheme: credentials.scheme, reason: 'throttled', address });
        throw new BallastError('BALLAST_AUTH_THROTTLED', {});
      }
      try {
        return await slow(credentials);
      } catch (error) {
        throttle.failed(address);
        options.onFailure?.({ scheme: credentials.scheme, reason: 'invalid', address });
        throw error;
      }
    },
  };
}
