import { createHash } from 'node:crypto';
import { BallastError } from '../errors/ballast-error.ts';
import type { Digest, PutBlobOptions } from './store.ts';

export interface BlobIntake {
  /** Counts and hashes a chunk; throws BALLAST_BODY_TOO_LARGE past the limit. */
  update(chunk: Uint8Array): void;
  /** The digest of everything seen; throws BALLAST_DIGEST_MISMATCH when it is not the expected one. */
  finish(): { digest: Digest; size: number };
}

/** What every store checks while a blob streams in, before it is visible under its digest. */
export function createBlobIntake(options: PutBlobOptions): BlobIntake {
  const hash = createHash('sha256');
  let size = 0;
  return {
    update(chunk) {
      size += chunk.byteLength;
      if (size > options.maxBytes) {
        throw new BallastError('BALLAST_BODY_TOO_LARGE', {
          what: options.what,
          source: options.source,
          limit: options.maxBytes,
        });
      }
      hash.update(chunk);
    },
    finish() {
      const digest: Digest = `sha256:${hash.digest('hex')}`;
      if (options.expectedDigest !== undefined && digest !== options.expectedDigest) {
        throw new BallastError('BALLAST_DIGEST_MISMATCH', {
          what: options.what,
          source: options.source,
          expected: options.expectedDigest,
        });
      }
      return { digest, size };
    },
  };
}
