import type { UpstreamConfig } from '../config/schema.ts';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { EventBus } from '../observability/events.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import type { IndexValidators } from '../upstream/classic-repo-client.ts';
import type { IndexBuildJob, IndexSource } from './index-build.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import type { RefreshLease } from './refresh-lease.ts';
import type { BuildServedIndex, ServedBuild, ServedBuildJob } from './served-build.ts';
import type { ChartSource, StoredServedIndex } from './served-index.ts';
import {
  readStoredIndexMeta,
  type SpooledIndex,
  spoolIndex,
  storedIndexDocument,
  unspoolStoredIndex,
} from './stored-index.ts';
import type { UpstreamRef } from './upstream-calls.ts';

export interface FetchOutcome {
  /** A new index was accepted from the upstream and stored. */
  changed: boolean;
  /** Its build, when this fetch made one. */
  built?: ServedBuild;
}

/**
 * One upstream of a repository: its last good index in the store (the upstream's bytes, as
 * received), the validators for conditional GETs, and the chart files its index lists, for
 * charts that another upstream fails to deliver.
 */
export interface UpstreamIndex {
  readonly ref: UpstreamRef;
  readonly client: MirrorUpstream;
  readonly config: UpstreamConfig;
  /** Versions in its last good index; undefined until one is known. */
  readonly versions: number | undefined;
  /** When its stored index was fetched; tells which stored index a served form came from. */
  readonly fetchedAt: number | undefined;
  /** Reads what the store knows of this upstream (validators, versions). */
  load(): Promise<void>;
  /** Conditional GET; a changed index is parsed, guarded, built and stored. */
  fetch(options: FetchOptions, signal: AbortSignal): Promise<FetchOutcome>;
  /** Its stored index, spooled for a build; undefined when none is stored. */
  spool(): Promise<{ source: IndexSource; spooled: SpooledIndex } | undefined>;
  /** Chart files its index lists: from the last build, else rebuilt from the store. */
  charts(signal: AbortSignal): Promise<ReadonlyMap<string, ChartSource>>;
}

export interface FetchOptions {
  /** The guard's yardstick for this upstream's index. */
  lastGoodVersions: number | undefined;
  maxShrink: number;
  keep?: IndexBuildJob['keep'];
}

export interface UpstreamIndexOptions {
  repo: string;
  position: number;
  config: UpstreamConfig;
  client: MirrorUpstream;
  store: Store;
  bus: EventBus;
  buildIndex: BuildServedIndex;
  now: () => number;
  /** With replicas: only the lease holder asks the upstream; the others take what it stores. */
  lease?: RefreshLease;
}

export function createUpstreamIndex(options: UpstreamIndexOptions): UpstreamIndex {
  const { repo, client, store, bus, buildIndex, position, lease } = options;
  const docKey = storeKeys.upstreamIndex(repo, client.url);
  const ref: UpstreamRef = { key: client.key, position };
  let validators: IndexValidators | undefined;
  let versions: number | undefined;
  /** The store's version of the document this replica last read or wrote. */
  let storedVersion: string | undefined;
  let fetchedAt: number | undefined;
  /** The last build's index: its chart table is parsed only if another upstream needs it. */
  let lastBuilt: StoredServedIndex | undefined;
  const source = (file: string): IndexSource => ({
    file,
    upstream: client.url,
    label: client.label,
    position,
  });

  async function build(job: Omit<ServedBuildJob, 'sources'>, file: string): Promise<ServedBuild> {
    try {
      return await buildIndex({ ...job, sources: [source(file)] });
    } catch (error) {
      if (
        isBallastError(error, 'BALLAST_INDEX_INVALID') ||
        isBallastError(error, 'BALLAST_INDEX_REFUSED')
      ) {
        const reason = String(error.details.guard ?? 'invalid');
        const message = String(error.details.reason);
        bus.emit('guard:refused', { repo, upstream: client.label, reason, message });
        throw new BallastError(
          'BALLAST_INDEX_REFUSED',
          { source: client.label, reason: message },
          { cause: error },
        );
      }
      throw error;
    }
  }

  async function spool() {
    const document = await store.openDocument(docKey);
    if (!document) return undefined;
    const { meta, spooled } = await unspoolStoredIndex(document);
    return { source: source(spooled.file), spooled, meta };
  }

  async function load() {
    // The version first: if the document changes in between, the next write conflicts.
    const info = await store.statDocument(docKey);
    const document = info && (await store.openDocument(docKey));
    if (!document) return;
    const meta = await readStoredIndexMeta(document);
    validators = meta.validators;
    versions = meta.versions;
    fetchedAt = meta.fetchedAt;
    storedVersion = info.version;
  }

  /**
   * The index another replica stored since this one last looked (one HEAD), built as stored:
   * its writer guarded it against the version before, which is what it replaced.
   */
  async function adoptNewer(): Promise<ServedBuild | undefined> {
    const info = await store.statDocument(docKey);
    if (!info || info.version === storedVersion) return undefined;
    const stored = await spool();
    if (!stored) return undefined;
    try {
      const built = await build({ lastGoodVersions: undefined, maxShrink: 1 }, stored.spooled.file);
      validators = stored.meta.validators;
      versions = stored.meta.versions;
      fetchedAt = stored.meta.fetchedAt;
      storedVersion = info.version;
      lastBuilt = built.served;
      return built;
    } finally {
      await stored.spooled.dispose();
    }
  }

  /** Conditional GET; a changed index is parsed, guarded, built and stored. */
  async function fetchUpstream(
    { lastGoodVersions, maxShrink, keep }: FetchOptions,
    signal: AbortSignal,
  ): Promise<FetchOutcome> {
    const result = await client.fetchIndex(versions === undefined ? undefined : validators, signal);
    if (result.kind === 'not-modified') return { changed: false };
    const spooled = await spoolIndex(result.body);
    try {
      const built = await build(
        { lastGoodVersions, maxShrink, ...(keep ? { keep } : {}) },
        spooled.file,
      );
      for (const skipped of built.skipped) bus.emit('index:entry-skipped', { repo, ...skipped });
      for (const repair of built.repairs) bus.emit('index:entry-repaired', { repo, ...repair });
      const meta = {
        format: 2 as const,
        fetchedAt: options.now(),
        upstream: client.url,
        validators: result.validators,
        versions: built.served.versions,
      };
      try {
        // Only over the version this replica guarded against: an older replica never
        // overwrites a newer index, and what it would have refused never lands.
        storedVersion = await store.putDocument(
          docKey,
          storedIndexDocument(meta, spooled),
          storedVersion === undefined ? { ifAbsent: true } : { ifVersion: storedVersion },
        );
      } catch (error) {
        if (!isBallastError(error, 'BALLAST_STORE_CONFLICT')) throw error;
        const theirs = await adoptNewer();
        if (!theirs) throw error;
        return { changed: true, built: theirs };
      }
      validators = result.validators;
      versions = built.served.versions;
      fetchedAt = meta.fetchedAt;
      lastBuilt = built.served;
      return { changed: true, built };
    } finally {
      await spooled.dispose();
    }
  }

  return {
    ref,
    client,
    config: options.config,
    get versions() {
      return versions;
    },
    get fetchedAt() {
      return fetchedAt;
    },

    load,

    async fetch(options, signal) {
      // Another replica stored a newer index: take it, then ask the upstream with its
      // validators (a 304, usually). Served even if the upstream fails now.
      const adopted = await adoptNewer();
      // Another replica holds the lease: it asks the upstream, this one reads the bucket.
      // Nothing stored yet (a first start) is always worth asking the upstream for.
      if (versions !== undefined && lease && !(await lease.acquire()))
        return adopted ? { changed: true, built: adopted } : { changed: false };
      try {
        const fetched = await fetchUpstream(
          adopted ? { ...options, lastGoodVersions: adopted.served.versions } : options,
          signal,
        );
        return fetched.changed || !adopted ? fetched : { changed: true, built: adopted };
      } catch (error) {
        if (adopted) return { changed: true, built: adopted };
        throw error;
      }
    },

    spool,

    async charts(signal) {
      if (lastBuilt) return lastBuilt.charts;
      let fetchError: unknown;
      const fetched = await this.fetch({ lastGoodVersions: versions, maxShrink: 1 }, signal).catch(
        (error: unknown) => {
          fetchError = error;
        },
      );
      if (fetched?.built) return fetched.built.served.charts;
      const stored = await spool();
      if (!stored) {
        // Nothing to fall back on: the fetch's own error says whether trying again may help.
        throw (
          fetchError ??
          new BallastError('BALLAST_INDEX_UNAVAILABLE', {
            repo,
            reason: `no index from ${client.label}`,
          })
        );
      }
      try {
        lastBuilt = (
          await build({ lastGoodVersions: undefined, maxShrink: 1 }, stored.spooled.file)
        ).served;
        return lastBuilt.charts;
      } finally {
        await stored.spooled.dispose();
      }
    },
  };
}
