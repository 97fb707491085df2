import { Readable } from 'node:stream';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import { firstSuccess, type Resilience } from '../mirror/upstream-calls.ts';
import type { EventBus } from '../observability/events.ts';
import type { Digest, Store } from '../store/store.ts';
import { parseChecksumFile } from './checksum-file.ts';
import { type FileEntry, readFileEntry, writeFileEntry } from './file-entry.ts';
import { baseName, type ChecksumSuffix, checksumSuffixes } from './file-path.ts';
import type { FileUpstream } from './file-upstream.ts';

/** Checksum files are a line or a few; anything bigger is not one. */
export const maxChecksumBytes = 64 * 1024;

export interface ChecksumSourceOptions {
  mirror: string;
  upstreams: readonly FileUpstream[];
  store: Store;
  resilience: Resilience;
  bus: EventBus;
  now: () => number;
}

export interface ExpectedDigest {
  digest: Digest;
  save(): Promise<void>;
}

export interface ChecksumSource {
  /**
   * The sha256 `path` must hash to: from a stored checksum file, else the first upstream's.
   * A fetched checksum file is stored by `save`, once the file it is for has been verified
   * and stored: a file that is refused (too large, wrong bytes) leaves nothing behind.
   */
  expectedDigest(path: string, signal: AbortSignal): Promise<ExpectedDigest>;
  /** Fetches `FILE.sha256sum` (or `.sha256`) itself, checked to be a well-formed checksum file. */
  fetchChecksumFile(file: string, suffix: ChecksumSuffix, signal: AbortSignal): Promise<FileEntry>;
}

/**
 * The `checksum: sidecar` policy. A file is verified against the first of `FILE.sha256sum` and
 * `FILE.sha256` that any upstream serves, in upstream order, and that checksum file is stored
 * and served too, so what clients can check against is what Ballast checked against.
 */
export function createChecksumSource(options: ChecksumSourceOptions): ChecksumSource {
  const { mirror, upstreams, store, resilience, bus, now } = options;

  /**
   * One upstream's checksum file, parsed; a malformed one is refused (and counted). Nothing is
   * stored until `save` is called.
   */
  async function fetchFrom(
    upstream: FileUpstream,
    file: string,
    suffix: ChecksumSuffix,
    signal: AbortSignal,
  ): Promise<{ digest: Digest; save(): Promise<FileEntry> }> {
    const upstreamPath = `${upstream.pathFor(file)}${suffix}`;
    const response = await upstream.open(upstreamPath, 'checksum', {
      what: 'checksum file',
      maxBytes: maxChecksumBytes,
      signal,
    });
    const chunks: Buffer[] = [];
    for await (const chunk of response.body) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    const parsed = parseChecksumFile(bytes, [baseName(file), baseName(upstream.pathFor(file))]);
    if ('problem' in parsed) {
      const error = new BallastError('BALLAST_FILE_CHECKSUM_INVALID', {
        file: `${file}${suffix}`,
        source: upstream.label,
        reason: parsed.problem,
      });
      bus.emit('file:rejected', {
        mirror,
        path: `${file}${suffix}`,
        upstream: upstream.label,
        code: error.code,
        message: error.message,
      });
      throw error;
    }
    const save = async () => {
      const blob = await store.putBlob(Readable.from([bytes]), {
        maxBytes: maxChecksumBytes,
        what: 'checksum file',
        source: upstream.label,
      });
      const at = now();
      const entry: FileEntry = {
        format: 1,
        path: `${file}${suffix}`,
        digest: blob.digest,
        size: blob.size,
        upstream: upstream.label,
        verifiedBy: 'is-checksum-file',
        fetchedAt: at,
        checkedAt: at,
      };
      await writeFileEntry(store, mirror, entry);
      return entry;
    };
    return { digest: parsed.digest, save };
  }

  /** A checksum file stored earlier (fetched for a file, or asked for by a client). */
  async function stored(file: string): Promise<Digest | undefined> {
    for (const suffix of checksumSuffixes) {
      const entry = await readFileEntry(store, mirror, `${file}${suffix}`);
      if (!entry) continue;
      const blob = await store.readBlob(entry.digest).catch(() => undefined);
      if (!blob) continue;
      const parsed = parseChecksumFile(
        Buffer.concat(await blob.toArray()),
        upstreams.flatMap((u) => [baseName(file), baseName(u.pathFor(file))]),
      );
      if ('digest' in parsed) return parsed.digest;
    }
    return undefined;
  }

  /**
   * firstSuccess over the upstreams, except that when every upstream failed and one of them
   * served a checksum file that was refused, that refusal is the error: what the client is
   * told then agrees with the log line and the metric the refusal already gave, instead of
   * another upstream's "not there".
   */
  async function fromUpstreams<T>(
    label: string,
    work: (upstream: FileUpstream, signal: AbortSignal) => Promise<T>,
    signal: AbortSignal,
  ): Promise<T> {
    let refused: unknown;
    try {
      const { value } = await firstSuccess(
        resilience,
        upstreams.map((u) => u.ref),
        { repo: mirror, kind: 'checksum', label },
        async (ref, s) => {
          try {
            return await work(upstreams[ref.position] as FileUpstream, s);
          } catch (error) {
            if (isBallastError(error, 'BALLAST_FILE_CHECKSUM_INVALID')) refused ??= error;
            throw error;
          }
        },
        signal,
      );
      return value;
    } catch (error) {
      throw isMissing(error) && refused ? refused : error;
    }
  }

  return {
    async expectedDigest(file, signal) {
      const known = await stored(file);
      if (known) return { digest: known, save: async () => {} };
      try {
        const found = await fromUpstreams(
          `files/${mirror}/${file}.sha256sum`,
          async (upstream, s) => {
            let lastMissing: unknown;
            for (const suffix of checksumSuffixes) {
              try {
                return await fetchFrom(upstream, file, suffix, s);
              } catch (error) {
                if (!isMissing(error)) throw error;
                lastMissing = error;
              }
            }
            throw lastMissing;
          },
          signal,
        );
        return { digest: found.digest, save: async () => void (await found.save()) };
      } catch (error) {
        if (isMissing(error)) {
          throw new BallastError(
            'BALLAST_FILE_CHECKSUM_MISSING',
            {
              mirror,
              path: file,
              tried: upstreams
                .map(
                  (u) =>
                    `${u.label} ${checksumSuffixes.map((s) => u.pathFor(file) + s).join(', ')}`,
                )
                .join('; '),
            },
            { cause: error },
          );
        }
        throw error;
      }
    },

    async fetchChecksumFile(file, suffix, signal) {
      const found = await fromUpstreams(
        `files/${mirror}/${file}${suffix}`,
        (upstream, s) => fetchFrom(upstream, file, suffix, s),
        signal,
      );
      return found.save();
    },
  };
}

/** The upstream does not have it (as opposed to failing to answer). */
export function isMissing(error: unknown): boolean {
  if (!isBallastError(error, 'BALLAST_UPSTREAM_STATUS')) return false;
  const status = Number(error.details.statusCode);
  return status === 404 || status === 410;
}
