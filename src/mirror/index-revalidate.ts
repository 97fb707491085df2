import type { RepoConfig } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import type { IndexRebuild } from './index-rebuild.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import { createRefreshLease } from './refresh-lease.ts';
import type { BuildServedIndex } from './served-build.ts';
import type { ServedSwap } from './served-slot.ts';
import { firstSuccess, type Resilience } from './upstream-calls.ts';
import { createUpstreamIndex, type UpstreamIndex } from './upstream-index.ts';

export interface RepoUpstreamsOptions {
  repo: RepoConfig;
  clients: readonly MirrorUpstream[];
  store: Store;
  resilience: Resilience;
  buildIndex: BuildServedIndex;
  now: () => number;
  /** Set when replicas share the store: this one's name in refresh leases. */
  replica?: string;
}

/**
 * One UpstreamIndex per configured upstream, in the configured order. With replicas on one
 * store, each asks its upstream only while it holds that upstream's refresh lease.
 */
export function createRepoUpstreams(options: RepoUpstreamsOptions): UpstreamIndex[] {
  const { repo, store, now, replica } = options;
  return options.clients.map((client, position) =>
    createUpstreamIndex({
      repo: repo.name,
      position,
      config: repo.upstreams[position] as RepoConfig['upstreams'][number],
      client,
      store,
      bus: options.resilience.bus,
      buildIndex: options.buildIndex,
      now,
      ...(replica
        ? {
            lease: createRefreshLease({
              store,
              key: storeKeys.upstreamLease(repo.name, client.url),
              holder: replica,
              durationMs: repo.refresh,
              now,
            }),
          }
        : {}),
    }),
  );
}

export interface RevalidateOptions {
  repo: RepoConfig;
  resilience: Resilience;
  upstreams: readonly UpstreamIndex[];
  rebuild: IndexRebuild;
  served: ServedSwap;
}

/**
 * Asks the upstreams whether the served index is still current and swaps in a new one when
 * not: the first healthy upstream's index, or with `merge` the union of every upstream's last
 * good index. Throws what the upstreams threw when none answered.
 */
export function createRevalidation(
  options: RevalidateOptions,
): (signal: AbortSignal) => Promise<void> {
  const { repo, resilience, upstreams, rebuild, served } = options;
  const { bus } = resilience;
  const name = { repo: repo.name, kind: 'index', label: `${repo.name}/index.yaml` };

  /** The first healthy upstream's index becomes the served one. */
  async function revalidateFirst(signal: AbortSignal): Promise<void> {
    const keep = await rebuild.keepRemoved();
    try {
      const { value, upstream } = await firstSuccess(
        resilience,
        upstreams.map((u) => u.ref),
        name,
        (ref, s) => {
          const upstream = upstreams[ref.position] as UpstreamIndex;
          // An upstream is held to its own last good index; one never fetched yet, to the
          // index it would replace.
          return upstream.fetch(
            {
              lastGoodVersions: upstream.versions ?? served.current()?.index.versions,
              maxShrink: repo.guard.maxShrink,
              keep: keep?.keep,
            },
            s,
          );
        },
        signal,
      );
      const current = served.current();
      if (value.built) {
        await served.swap(value.built.served, [upstream.position], value.built.kept);
      } else if (
        !value.deferred &&
        (current?.from[0] !== upstream.position || current.from.length !== 1)
      ) {
        // Unchanged upstream, but not the one served now (it recovered after a failover): its
        // stored copy passed the guard when it was stored, so it is not held to the backup's
        // size (a backup larger than the primary would otherwise keep the primary out forever).
        // A deferred answer says nothing of the upstream's health: the replica that asked
        // tells which upstream to serve from (repo-index.ts, followHolder).
        const built = await rebuild.fromStored([upstream.position], {
          lastGoodVersions: undefined,
          maxShrink: 1,
        });
        await served.swap(built.served, [upstream.position], built.kept);
      } else if (!value.deferred) {
        // Where the replica that asked did, not here: it tells whether the upstream answered.
        bus.emit('index:unchanged', {
          repo: repo.name,
          upstream: upstreams[upstream.position]?.client.label ?? '',
        });
      }
    } finally {
      await keep?.dispose();
    }
  }

  /** merge: every upstream is asked; the union of their last good indexes is served. */
  async function revalidateMerged(signal: AbortSignal): Promise<void> {
    const outcomes = await Promise.allSettled(
      upstreams.map((u) =>
        firstSuccess(
          resilience,
          [u.ref],
          name,
          (_ref, s) =>
            u.fetch({ lastGoodVersions: u.versions, maxShrink: repo.guard.maxShrink }, s),
          signal,
        ),
      ),
    );
    const failures = outcomes.filter((o) => o.status === 'rejected');
    if (failures.length === outcomes.length) throw (failures[0] as PromiseRejectedResult).reason;
    const changed = outcomes.some((o) => o.status === 'fulfilled' && o.value.value.changed);
    const from = upstreams.filter((u) => u.versions !== undefined).map((u) => u.ref.position);
    const current = served.current();
    if (current && !changed && current.from.length === from.length) return;
    const keep = await rebuild.keepRemoved();
    try {
      const built = await rebuild.fromStored(from, {
        lastGoodVersions: served.current()?.index.versions,
        maxShrink: repo.guard.maxShrink,
        ...(keep ? { keep: keep.keep } : {}),
      });
      await served.swap(built.served, from, built.kept);
    } finally {
      await keep?.dispose();
    }
  }

  return (signal) => (repo.merge ? revalidateMerged(signal) : revalidateFirst(signal));
}
