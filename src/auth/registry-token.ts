import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a registry token grants: actions per `{repo}/{chart}` name. */
export interface RegistryGrant {
  name: string;
  actions: string[];
}

export interface RegistryTokenClaims {
  /** The user or token name that asked for it; null for an anonymous token. */
  subject: string | null;
  grants: RegistryGrant[];
  /** Milliseconds since the epoch. */
  expiresAt: number;
}

export interface RegistryTokenSigner {
  sign(claims: RegistryTokenClaims): string;
  /** The claims of a token this key signed and that has not expired; undefined otherwise. */
  verify(token: string): RegistryTokenClaims | undefined;
}

const prefix = 'blrt.';
/** Far above any token Ballast issues; a longer one is not even hashed. */
const maxTokenLength = 16 * 1024;

/**
 * Short-lived tokens for the registry token flow, opaque to clients: `blrt.` + base64url JSON
 * claims + `.` + base64url HMAC-SHA256 of them. Only Ballast reads them, so a JWT's header,
 * algorithm choice and key discovery would add surface without adding anything.
 */
export function createRegistryTokenSigner(
  key: string | Buffer,
  now: () => number = Date.now,
): RegistryTokenSigner {
  const mac = (payload: string) => createHmac('sha256', key).update(payload).digest();
  return {
    sign(claims) {
      const payload = Buffer.from(
        JSON.stringify({ sub: claims.subject, acc: claims.grants, exp: claims.expiresAt }),
      ).toString('base64url');
      return `${prefix}${payload}.${mac(payload).toString('base64url')}`;
    },
    verify(token) {
      if (token.length > maxTokenLength || !token.startsWith(prefix)) return undefined;
      const [payload, signature, extra] = token.slice(prefix.length).split('.');
      if (payload === undefined || signature === undefined || extra !== undefined) return undefined;
      const given = Buffer.from(signature, 'base64url');
      const expected = mac(payload);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      const claims = parseClaims(Buffer.from(payload, 'base64url').toString('utf8'));
      if (!claims || claims.expiresAt <= now()) return undefined;
      return claims;
    },
  };
}

export function isRegistryToken(token: string): boolean {
  return token.startsWith(prefix);
}

function parseClaims(json: string): RegistryTokenClaims | undefined {
  try {
    const raw = JSON.parse(json) as { sub?: unknown; acc?: unknown; exp?: unknown };
    if (typeof raw.exp !== 'number' || !Array.isArray(raw.acc)) return undefined;
    if (raw.sub !== null && typeof raw.sub !== 'string') return undefined;
    return { subject: raw.sub, grants: raw.acc as RegistryGrant[], expiresAt: raw.exp };
  } catch {
    return undefined;
  }
}
