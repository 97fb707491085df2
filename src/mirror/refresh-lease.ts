import { isBallastError } from '../errors/ballast-error.ts';
import type { Store } from '../store/store.ts';

export interface RefreshLease {
  /** True when this replica is the one to ask the upstream now (it holds or took the lease). */
  acquire(): Promise<boolean>;
}

export interface RefreshLeaseOptions {
  store: Store;
  key: string;
  /** This replica, unique per process. */
  holder: string;
  /** How long a taken lease keeps others off: the repository's `refresh`. */
  durationMs: number;
  now: () => number;
}

interface LeaseRecord {
  holder: string;
  until: number;
}

/**
 * Which replica asks an upstream for its index, kept in the store with conditional writes:
 * the holder renews it each time it refreshes; the others leave the upstream alone and take
 * what the holder stores. A holder that dies or stops refreshing loses it after `durationMs`.
 * Every race ends in a conflict for all but one writer, so two replicas never both think
 * they hold it (clocks only need to agree to well within `durationMs`).
 */
export function createRefreshLease(options: RefreshLeaseOptions): RefreshLease {
  const { store, key, holder, durationMs, now } = options;
  return {
    async acquire() {
      const record = JSON.stringify({ holder, until: now() + durationMs } satisfies LeaseRecord);
      try {
        // The version first: a lease written after it makes the write below conflict.
        const info = await store.statDocument(key);
        if (!info) {
          await store.putDocument(key, record, { ifAbsent: true });
          return true;
        }
        const current = parseLease(await store.getDocument(key));
        if (current && current.holder !== holder && current.until > now()) return false;
        await store.putDocument(key, record, { ifVersion: info.version });
        return true;
      } catch (error) {
        if (isBallastError(error, 'BALLAST_STORE_CONFLICT')) return false;
        throw error;
      }
    },
  };
}

function parseLease(bytes: Buffer | undefined): LeaseRecord | undefined {
  try {
    const value = JSON.parse(bytes?.toString('utf8') ?? '') as Partial<LeaseRecord>;
    return typeof value.holder === 'string' && typeof value.until === 'number'
      ? { holder: value.holder, until: value.until }
      : undefined;
  } catch {
    return undefined;
  }
}
