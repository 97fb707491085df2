import type { FileMirrorConfig } from '../config/schema.ts';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import { firstSuccess, type Resilience } from '../mirror/upstream-calls.ts';
import type { Logger } from '../observability/logger.ts';
import { createSingleFlight } from '../resilience/single-flight.ts';
import type { BlobInfo, Digest, Store } from '../store/store.ts';
import type { UpstreamCredentials } from '../upstream/credentials.ts';
import type { HttpClient } from '../upstream/http-client.ts';
import { createChecksumSource, isMissing } from './checksum-source.ts';
import { type FileEntry, listFileEntries, readFileEntry, writeFileEntry } from './file-entry.ts';
import { splitChecksumPath, unsafeFilePathReason } from './file-path.ts';
import { createFileUpstream, type FileUpstream } from './file-upstream.ts';
import { compileGlobs } from './path-glob.ts';

export interface FileMirrorOptions {
  config: FileMirrorConfig;
  /** Per upstream, in config order: its `auth`, resolved. */
  credentials?: readonly (UpstreamCredentials | undefined)[];
  http: HttpClient;
  store: Store;
  resilience: Resilience;
  logger: Logger;
  now?: () => number;
}

/** A file as served: its verified blob and how fresh it is. */
export interface FileView {
  path: string;
  blob: BlobInfo;
  /** Matches `mutable:`: served with `no-cache` and revalidated after `refresh`. */
  mutable: boolean;
  /** When an upstream last confirmed it. */
  checkedAt: number;
  /** Set when the upstreams failed at the last revalidation and this is the last good copy. */
  staleBecause?: string;
  /** This request fetched it from an upstream (it was not in the store). */
  fetched: boolean;
}

export interface FileMirror {
  readonly name: string;
  readonly config: FileMirrorConfig;
  /** The file at `path`, from the store or fetched (verified, then stored) from the upstreams. */
  file(path: string, signal?: AbortSignal): Promise<FileView>;
  /** What the store holds for `path`, without asking an upstream. */
  cached(path: string): Promise<FileEntry | undefined>;
  /** Every path the store holds for this mirror. */
  entries(): Promise<FileEntry[]>;
}

const maxRemembered = 10_000;

/**
 * A mirror of release downloads: a path is fetched once from the first upstream that has it
 * (through retry, breakers and the deadline), verified against its checksum file while it
 * streams to the store, and committed only if it matches; then it is immutable. Paths that
 * match `mutable:` are revalidated after `refresh` and their last good copy is served while
 * the upstreams fail.
 */
export function createFileMirror(options: FileMirrorOptions): FileMirror {
  const { config, store, resilience } = options;
  const { bus } = resilience;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ files: config.name });
  const upstreams: FileUpstream[] = config.upstreams.map((u, i) =>
    createFileUpstream(u, i, { http: options.http, bus, credentials: options.credentials?.[i] }),
  );
  const checksums = createChecksumSource({
    mirror: config.name,
    upstreams,
    store,
    resilience,
    bus,
    now,
  });
  // A download may take minutes: its own deadline, and no hedging, which would download it twice.
  const bodyResilience: Resilience = { ...resilience, hedge: false, deadlineMs: config.deadline };
  const isMutable = compileGlobs(config.mutable);
  const flight = createSingleFlight<FileEntry>();
  // Immutable entries whose blob was seen: saves a document read and a stat per request.
  const known = new Map<string, FileEntry>();
  // Mutable paths whose last revalidation failed, with the error code.
  const failures = new Map<string, string>();

  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
    if (map.size > maxRemembered) map.delete(map.keys().next().value as string);
  };

  async function storedEntry(path: string): Promise<FileEntry | undefined> {
    const entry = known.get(path) ?? (await readFileEntry(store, config.name, path));
    if (!entry) return undefined;
    if (!known.has(path) && !(await store.statBlob(entry.digest))) return undefined;
    return entry;
  }

  /** Streams the path from the first upstream that has it into the store, verified on the way. */
  async function download(
    path: string,
    expected: Digest | undefined,
    previous: FileEntry | undefined,
    signal: AbortSignal,
  ): Promise<FileEntry> {
    const { value } = await firstSuccess(
      bodyResilience,
      upstreams.map((u) => u.ref),
      { repo: config.name, kind: 'file', label: `files/${config.name}/${path}` },
      async (ref, s) => {
        const upstream = upstreams[ref.position] as FileUpstream;
        const headers: Record<string, string> = {};
        if (previous?.validators && previous.upstream === upstream.label) {
          if (previous.validators.etag) headers['if-none-match'] = previous.validators.etag;
          if (previous.validators.lastModified)
            headers['if-modified-since'] = previous.validators.lastModified;
        }
        const response = await upstream.open(upstream.pathFor(path), 'file', {
          what: 'file',
          maxBytes: config.maxSize,
          headers,
          signal: s,
        });
        const at = now();
        if (response.status === 304 && previous) return { ...previous, checkedAt: at };
        try {
          const blob = await store.putBlob(response.body, {
            ...(expected ? { expectedDigest: expected } : {}),
            maxBytes: config.maxSize,
            what: `file ${path}`,
            source: upstream.label,
          });
          const { etag, 'last-modified': lastModified } = response.headers;
          return {
            format: 1 as const,
            path,
            digest: blob.digest,
            size: blob.size,
            upstream: upstream.label,
            verifiedBy: expected ? ('checksum-file' as const) : ('none' as const),
            fetchedAt: at,
            checkedAt: at,
            ...(etag || lastModified ? { validators: { etag, lastModified } } : {}),
          };
        } catch (error) {
          if (
            isBallastError(error, 'BALLAST_DIGEST_MISMATCH') ||
            isBallastError(error, 'BALLAST_BODY_TOO_LARGE')
          ) {
            bus.emit('file:rejected', {
              mirror: config.name,
              path,
              upstream: upstream.label,
              code: error.code,
              message: error.message,
            });
          }
          throw error;
        }
      },
      signal,
    );
    return value;
  }

  async function fetchFile(path: string, previous: FileEntry | undefined, signal: AbortSignal) {
    let entry: FileEntry;
    try {
      const checksumPath = config.checksum === 'sidecar' ? splitChecksumPath(path) : undefined;
      if (checksumPath) {
        entry = await checksums.fetchChecksumFile(checksumPath.file, checksumPath.suffix, signal);
      } else {
        const verify = config.checksum === 'sidecar' && !isMutable(path);
        const expected = verify ? await checksums.expectedDigest(path, signal) : undefined;
        entry = await download(path, expected?.digest, previous, signal);
        await expected?.save();
        await writeFileEntry(store, config.name, entry);
      }
    } catch (error) {
      if (isMissing(error))
        throw new BallastError(
          'BALLAST_FILE_NOT_FOUND',
          { mirror: config.name, path, reason: 'no upstream has it' },
          { cause: error },
        );
      throw error;
    }
    if (entry.fetchedAt === entry.checkedAt && entry !== previous)
      bus.emit('file:stored', {
        mirror: config.name,
        path,
        digest: entry.digest,
        bytes: entry.size,
        upstream: entry.upstream,
      });
    return entry;
  }

  const view = (entry: FileEntry, mutable: boolean, fetched: boolean): FileView => {
    const failure = mutable ? failures.get(entry.path) : undefined;
    return {
      path: entry.path,
      blob: { digest: entry.digest, size: entry.size },
      mutable,
      checkedAt: entry.checkedAt,
      fetched,
      ...(failure ? { staleBecause: failure } : {}),
    };
  };

  /** Index freshness rules: fresh → served; stale → served while one revalidation runs. */
  function revalidate(path: string, previous: FileEntry): Promise<FileEntry> {
    return flight.run(path, async (signal) => {
      try {
        const entry = await fetchFile(path, previous, signal);
        failures.delete(path);
        return entry;
      } catch (error) {
        remember(failures, path, (error as { code?: string }).code ?? 'BALLAST_INTERNAL');
        throw error;
      }
    });
  }

  async function mutableFile(path: string, signal?: AbortSignal): Promise<FileView> {
    const entry = await storedEntry(path);
    if (!entry) {
      bus.emit('cache:miss', { repo: config.name, kind: 'file' });
      return view(await flight.run(path, (s) => fetchFile(path, undefined, s), signal), true, true);
    }
    bus.emit('cache:hit', { repo: config.name, kind: 'file' });
    if (now() - entry.checkedAt >= config.refresh) {
      revalidate(path, entry).catch((error: unknown) =>
        logger.warn(
          { err: error, path },
          'revalidation of a mutable file failed; serving the last good copy',
        ),
      );
    }
    const served = view(entry, true, false);
    if (served.staleBecause)
      bus.emit('file:stale-served', {
        mirror: config.name,
        path,
        ageMs: now() - entry.checkedAt,
        code: served.staleBecause,
      });
    return served;
  }

  return {
    name: config.name,
    config,

    async file(path, signal) {
      const reason = unsafeFilePathReason(path);
      if (reason)
        throw new BallastError('BALLAST_BAD_PATH', { segment: JSON.stringify(path), reason });
      if (isMutable(path)) return mutableFile(path, signal);
      const cached = await storedEntry(path);
      if (cached) {
        remember(known, path, cached);
        bus.emit('cache:hit', { repo: config.name, kind: 'file' });
        return view(cached, false, false);
      }
      bus.emit('cache:miss', { repo: config.name, kind: 'file' });
      const entry = await flight.run(path, (s) => fetchFile(path, undefined, s), signal);
      remember(known, path, entry);
      return view(entry, false, true);
    },

    cached: storedEntry,

    entries: () => listFileEntries(store, config.name),
  };
}
