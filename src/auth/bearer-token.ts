import { createHash, randomBytes } from 'node:crypto';

/** A new bearer token: 32 random bytes, URL-safe, with a prefix that makes leaked ones greppable. */
export function generateBearerToken(): string {
  return `blst_${randomBytes(32).toString('base64url')}`;
}

/** What the config stores for a token: its sha256, in hex. */
export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}
