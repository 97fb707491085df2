import { createHash } from 'node:crypto';

/** An OCI digest Ballast can verify: `sha256:` and 64 lowercase hex characters. */
export type Sha256Digest = `sha256:${string}`;

const sha256Pattern = /^sha256:[0-9a-f]{64}$/;
/** The general digest grammar of the image spec: `algorithm:encoded`. */
const anyDigestPattern = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;

export function isSha256Digest(value: string): value is Sha256Digest {
  return sha256Pattern.test(value);
}

/** Looks like a digest of any algorithm (so it is a digest reference, not a tag). */
export function looksLikeDigest(value: string): boolean {
  return value.includes(':') && anyDigestPattern.test(value);
}

export function sha256Digest(bytes: Uint8Array): Sha256Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The hex part of a sha256 digest, as a Helm index `digest` field carries it. */
export function digestHex(digest: Sha256Digest): string {
  return digest.slice('sha256:'.length);
}

/** `sha256:` + hex, from the bare hex of a Helm index entry; undefined if it is not 64 hex. */
export function digestFromHex(hex: string): Sha256Digest | undefined {
  const digest = `sha256:${hex.toLowerCase()}`;
  return isSha256Digest(digest) ? digest : undefined;
}
