import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { HostPolicy } from './host-policy.ts';
import type { HttpClient } from './http-client.ts';
import { type AuthChallenge, parseWwwAuthenticate } from './www-authenticate.ts';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryAuthOptions {
  http: HttpClient;
  /** Where the token request's redirects may lead. */
  hosts: HostPolicy;
  /** Told each token realm's origin before it is asked, so the host policy admits it. */
  onRealm?: (origin: string) => void;
  /** The registry as it appears in errors and logs, e.g. `oci://ghcr.io/org`. */
  label: string;
  credentials?: RegistryCredentials;
  now?: () => number;
  /** Limit for a token endpoint's answer. */
  maxTokenBytes?: number;
  /** Called once per token fetch, for events and metrics. */
  observe?: <T>(kind: string, work: () => Promise<T>) => Promise<T>;
}

/**
 * The authentication registries ask for, learned from their 401 challenges: Bearer tokens
 * from the realm they name (anonymous, or with basic credentials), cached per scope until
 * `expires_in` runs out; or plain basic auth. Secrets never go into errors or logs.
 */
export interface RegistryAuth {
  /** The Authorization header for a request needing this scope, when one is known. */
  headerFor(scope: string): string | undefined;
  /** Answers a 401: fetches a token (or picks basic auth) and returns the header to retry with. */
  answer(wwwAuthenticate: string | undefined, scope: string, signal?: AbortSignal): Promise<string>;
  /** Forgets a token the registry refused, so the next request asks afresh. */
  forget(scope: string): void;
}

interface TokenAnswer {
  token: string;
  /** Seconds. */
  lifetime: number;
}

/** Tokens without `expires_in` live 60 s (distribution token spec); renew a little early. */
const defaultTokenLifetimeS = 60;
const renewEarlyMs = 5_000;

export function createRegistryAuth(options: RegistryAuthOptions): RegistryAuth {
  const { http, hosts, label, credentials } = options;
  const now = options.now ?? Date.now;
  const maxTokenBytes = options.maxTokenBytes ?? 64 * 1024;
  const observe = options.observe ?? ((_kind, work) => work());
  const tokens = new Map<string, { header: string; expiresAt: number }>();
  const flight = createSingleFlight<TokenAnswer>();
  let basicAlways = false;
  const basicHeader = credentials
    ? `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
    : undefined;

  const failed = (reason: string, cause?: unknown) =>
    new BallastError('BALLAST_OCI_AUTH_FAILED', { source: label, reason }, { cause });

  async function fetchToken(
    challenge: AuthChallenge,
    scope: string,
    signal?: AbortSignal,
  ): Promise<TokenAnswer> {
    const { realm, service } = challenge.params;
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm ?? '');
    } catch {
      throw failed(`the Bearer challenge names no usable realm (${JSON.stringify(realm)})`);
    }
    if (realmUrl.protocol !== 'https:' && realmUrl.protocol !== 'http:')
      throw failed(`the token realm ${realmUrl.protocol} is not http or https`);
    if (service) realmUrl.searchParams.set('service', service);
    const wanted = scope || challenge.params.scope;
    if (wanted) for (const one of wanted.split(' ')) realmUrl.searchParams.append('scope', one);
    const source = `token endpoint ${realmUrl.origin}${realmUrl.pathname} of ${label}`;
    options.onRealm?.(realmUrl.origin);
    let body: Buffer;
    try {
      const response = await observe('oci-token', () =>
        http.getBuffer(realmUrl.toString(), {
          what: 'registry token',
          maxBytes: maxTokenBytes,
          hosts,
          headers: {
            accept: 'application/json',
            ...(basicHeader ? { authorization: basicHeader } : {}),
          },
          signal,
        }),
      );
      body = response.body;
    } catch (error) {
      throw relabel(error, source, credentials !== undefined, failed);
    }
    return readToken(body, source);
  }

  function readToken(body: Buffer, source: string): TokenAnswer {
    let parsed: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      throw invalidAnswer(source, 'not JSON');
    }
    const token =
      typeof parsed?.token === 'string' && parsed.token !== ''
        ? parsed.token
        : parsed?.access_token;
    if (typeof token !== 'string' || token === '' || /[\r\n]/.test(token))
      throw invalidAnswer(source, 'no token or access_token in the answer');
    const lifetime =
      typeof parsed.expires_in === 'number' && parsed.expires_in > 0
        ? parsed.expires_in
        : defaultTokenLifetimeS;
    return { token, lifetime };
  }

  return {
    headerFor(scope) {
      if (basicAlways) return basicHeader;
      const cached = tokens.get(scope);
      if (cached && cached.expiresAt > now()) return cached.header;
      if (cached) tokens.delete(scope);
      return undefined;
    },

    async answer(wwwAuthenticate, scope, signal) {
      const challenges = parseWwwAuthenticate(wwwAuthenticate);
      const bearer = challenges.find((c) => c.scheme === 'bearer');
      if (bearer) {
        // Concurrent requests for one scope share one token request.
        const { token, lifetime } = await flight.run(scope, () =>
          fetchToken(bearer, scope, signal),
        );
        const header = `Bearer ${token}`;
        const ttl = Math.max(0, lifetime * 1000 - Math.min(renewEarlyMs, (lifetime * 1000) / 2));
        tokens.set(scope, { header, expiresAt: now() + ttl });
        return header;
      }
      if (challenges.some((c) => c.scheme === 'basic')) {
        if (!basicHeader)
          throw failed('the registry asks for basic auth and no credentials are configured');
        basicAlways = true;
        return basicHeader;
      }
      const schemes = challenges.map((c) => c.scheme).join(', ') || 'none';
      throw failed(`the registry answered 401 with no Bearer or Basic challenge (${schemes})`);
    },

    forget(scope) {
      tokens.delete(scope);
    },
  };
}

function invalidAnswer(source: string, reason: string): BallastError {
  return new BallastError('BALLAST_OCI_RESPONSE_INVALID', { what: 'token answer', source, reason });
}

/**
 * Errors of the token request keep their code (a timeout stays a transient timeout for the
 * fault taxonomy) but name the token endpoint, so "which server did not answer" is plain.
 */
function relabel(
  error: unknown,
  source: string,
  withCredentials: boolean,
  failed: (reason: string, cause?: unknown) => BallastError,
): unknown {
  if (!isBallastError(error)) return error;
  const status = Number(error.details.statusCode);
  if (error.code === 'BALLAST_UPSTREAM_STATUS' && (status === 401 || status === 403)) {
    const who = withCredentials ? 'the configured credentials' : 'anonymous access';
    return failed(`the ${source} refused ${who} (HTTP ${status})`, error);
  }
  return new BallastError(error.code, { ...error.details, source }, { cause: error });
}
