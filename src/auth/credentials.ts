import { BallastError } from '../errors/ballast-error.ts';

export type Credentials =
  | { scheme: 'basic'; user: string; password: string }
  | { scheme: 'bearer'; token: string };

/** Longer headers are refused before any decoding or hashing. */
const maxHeaderLength = 16 * 1024;

/**
 * The credentials of an `Authorization` header; undefined when there is none. A header that
 * is present but unreadable is a failed attempt (401), not an anonymous request.
 */
export function parseAuthorization(header: string | undefined): Credentials | undefined {
  if (header === undefined || header === '') return undefined;
  if (header.length > maxHeaderLength) throw invalid('header', 'the header is too long');
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const value = space < 0 ? '' : header.slice(space + 1).trim();
  if (scheme === 'bearer') {
    if (!/^[A-Za-z0-9._~+/-]+=*$/.test(value)) throw invalid('bearer', 'malformed token');
    return { scheme: 'bearer', token: value };
  }
  if (scheme === 'basic') {
    if (!/^[A-Za-z0-9+/]+=*$/.test(value)) throw invalid('basic', 'malformed base64');
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon <= 0) throw invalid('basic', 'expected user:password');
    return { scheme: 'basic', user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  throw invalid('header', 'only Basic and Bearer are accepted');
}

export function invalid(scheme: string, reason: string): BallastError {
  return new BallastError('BALLAST_AUTH_INVALID', { scheme, reason });
}
