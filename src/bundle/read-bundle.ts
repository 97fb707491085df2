import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { extract } from 'tar-stream';
import { BallastError } from '../errors/ballast-error.ts';
import {
  type BundleEntry,
  type BundleManifest,
  manifestEntryName,
  maxManifestBytes,
  parseManifest,
} from './bundle-manifest.ts';

export interface BundleVisitor {
  manifest?(manifest: BundleManifest): Promise<void> | void;
  /**
   * Called for each entry after the manifest, with its bytes as they stream; `verified` must be
   * consumed whole and throws at its end when the bytes do not match the manifest.
   */
  entry(entry: BundleEntry, verified: AsyncIterable<Buffer>): Promise<void>;
}

/**
 * Reads a bundle from start to end and holds every entry to the manifest at its head: each is
 * a regular file listed once, with the listed size and sha256, and none is missing. The first
 * problem throws, naming the entry; nothing is assumed about the archive beyond that.
 */
export async function readBundle(file: string, visitor: BundleVisitor): Promise<BundleManifest> {
  const bundle = file;
  const entryError = (entry: string, reason: string) =>
    new BallastError('BALLAST_BUNDLE_ENTRY_INVALID', {
      bundle,
      entry: JSON.stringify(entry),
      reason,
    });
  const input = createReadStream(file);
  const tar = extract();
  input.on('error', (error) => tar.destroy(error));
  input.pipe(tar);
  let manifest: BundleManifest | undefined;
  let expected: Map<string, BundleEntry> | undefined;
  const seen = new Set<string>();
  try {
    for await (const stream of tar) {
      const { header } = stream;
      const name = header.name;
      if (header.type !== 'file')
        throw entryError(
          name,
          `is a ${header.type ?? 'special'} entry; a bundle holds regular files only`,
        );
      if (!manifest || !expected) {
        if (name !== manifestEntryName)
          throw entryError(name, `comes first, but a bundle starts with ${manifestEntryName}`);
        if ((header.size ?? 0) > maxManifestBytes)
          throw entryError(name, `is larger than ${maxManifestBytes} bytes`);
        const parsed = parseManifest(await readAll(stream as AsyncIterable<Buffer>));
        if ('problem' in parsed) throw entryError(name, parsed.problem);
        manifest = parsed.manifest;
        expected = new Map(manifest.entries.map((e) => [e.name, e]));
        await visitor.manifest?.(manifest);
        continue;
      }
      const entry = expected.get(name);
      if (!entry) throw entryError(name, 'is not listed in the manifest');
      if (seen.has(name)) throw entryError(name, 'appears twice');
      seen.add(name);
      if (header.size !== entry.size)
        throw entryError(name, `has ${header.size} bytes, the manifest says ${entry.size}`);
      await visitor.entry(
        entry,
        verify(stream as unknown as AsyncIterable<Buffer>, entry, entryError),
      );
    }
  } catch (error) {
    if (error instanceof BallastError) throw error;
    throw new BallastError(
      'BALLAST_BUNDLE_INVALID',
      { bundle, reason: `not a complete tar archive (${(error as Error).message})` },
      { cause: error },
    );
  } finally {
    input.destroy();
  }
  if (!manifest || !expected)
    throw new BallastError('BALLAST_BUNDLE_INVALID', { bundle, reason: `no ${manifestEntryName}` });
  const missing = [...expected.keys()].filter((name) => !seen.has(name));
  if (missing.length > 0)
    throw new BallastError('BALLAST_BUNDLE_INVALID', {
      bundle,
      reason: `${missing.length} entries listed in the manifest are missing, first ${JSON.stringify(missing[0])} (truncated bundle?)`,
    });
  return manifest;
}

async function* verify(
  stream: AsyncIterable<Buffer>,
  entry: BundleEntry,
  entryError: (entry: string, reason: string) => BallastError,
): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of stream) {
    hash.update(chunk);
    size += chunk.length;
    yield chunk;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (size !== entry.size)
    throw entryError(entry.name, `ends after ${size} of ${entry.size} bytes`);
  if (actual !== entry.digest)
    throw entryError(entry.name, `content has digest ${actual}, the manifest says ${entry.digest}`);
}

async function readAll(stream: AsyncIterable<Buffer>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}
