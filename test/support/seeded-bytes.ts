import { createCipheriv, createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/**
 * Deterministic pseudo-random bytes: AES-256-CTR over zeros, keyed by the seed, 1 MiB per
 * chunk. Incompressible like a real release archive, reproducible, and made at memory speed.
 */
export function* seededChunks(seed: string, size: number): Generator<Buffer> {
  const chunkSize = 1024 * 1024;
  const cipher = createCipheriv(
    'aes-256-ctr',
    createHash('sha256').update(seed).digest(),
    Buffer.alloc(16),
  );
  const zeros = Buffer.alloc(chunkSize);
  for (let made = 0; made < size; ) {
    const length = Math.min(chunkSize, size - made);
    made += length;
    yield cipher.update(zeros.subarray(0, length));
  }
}

export function seededBytes(seed: string, size: number): Buffer {
  return Buffer.concat([...seededChunks(seed, size)]);
}

/** Writes `size` seeded bytes to `file`; returns their hex sha256. */
export async function writeSeededFile(file: string, seed: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(
    Readable.from(
      (function* () {
        for (const chunk of seededChunks(seed, size)) {
          hash.update(chunk);
          yield chunk;
        }
      })(),
    ),
    createWriteStream(file),
  );
  return hash.digest('hex');
}
