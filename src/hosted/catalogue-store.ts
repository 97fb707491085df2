import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { Store } from '../store/store.ts';
import {
  emptyCatalogue,
  type HostedCatalogue,
  parseCatalogue,
  serializeCatalogue,
} from './hosted-catalogue.ts';

export interface CatalogueStoreOptions {
  repo: string;
  store: Store;
  key: string;
  now: () => number;
  /** How often the store is asked whether another replica changed the catalogue. */
  recheckMs: number;
  /** Waits between write attempts (tests make it instant). */
  sleep?: (ms: number) => Promise<void>;
}

/** A change to the catalogue: the new catalogue (or none, to write nothing) and a result. */
export type CatalogueChange<T> = (catalogue: HostedCatalogue) => {
  catalogue?: HostedCatalogue;
  result: T;
};

export interface CatalogueStore {
  load(): Promise<void>;
  /** The catalogue as last read or written here. */
  current(): HostedCatalogue;
  /** Re-reads the catalogue when another replica changed it; at most once per `recheckMs`. */
  fresh(options?: { force?: boolean }): Promise<HostedCatalogue>;
  /** When the store was last asked. */
  checkedAt(): number;
  /**
   * Applies the change and writes the result only if nobody wrote in between; otherwise reads
   * the newer catalogue and applies the change again. The change may throw to refuse.
   */
  update<T>(change: CatalogueChange<T>): Promise<T>;
}

const maxAttempts = 25;

/**
 * The catalogue document of one hosted repository, shared by replicas through the store:
 * every write is conditional on the version read, so two uploads at once both land (one of
 * them retries on the other's catalogue) and none is lost.
 */
export function createCatalogueStore(options: CatalogueStoreOptions): CatalogueStore {
  const { repo, store, key, now, recheckMs } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  let catalogue: HostedCatalogue = emptyCatalogue;
  let version: string | undefined;
  let broken: BallastError | undefined;
  let lastCheck = Number.NEGATIVE_INFINITY;
  let checking: Promise<void> | undefined;
  let queue: Promise<void> = Promise.resolve();

  /** Reads the stored catalogue; the version is taken first, so a write after it conflicts. */
  async function read(): Promise<void> {
    const stat = await store.statDocument(key);
    const bytes = stat && (await store.getDocument(key));
    try {
      catalogue = bytes ? parseCatalogue(bytes) : emptyCatalogue;
      version = bytes ? stat?.version : undefined;
      broken = undefined;
    } catch (error) {
      broken = new BallastError('BALLAST_HOSTED_CATALOGUE_INVALID', {
        repo,
        reason: (error as Error).message,
      });
      throw broken;
    }
  }

  async function check(): Promise<void> {
    lastCheck = now();
    const stat = await store.statDocument(key);
    if (stat?.version !== version || broken) await read();
  }

  async function attemptUntilWritten<T>(change: CatalogueChange<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      // The version goes with the catalogue it was read with: a write is based on both.
      const base = { catalogue: usable(), version };
      const { catalogue: next, result } = change(base.catalogue);
      if (!next) return result;
      try {
        const written = await store.putDocument(
          key,
          serializeCatalogue(next),
          base.version === undefined ? { ifAbsent: true } : { ifVersion: base.version },
        );
        catalogue = next;
        version = written;
        return result;
      } catch (error) {
        if (!isBallastError(error, 'BALLAST_STORE_CONFLICT')) throw error;
        if (attempt >= maxAttempts)
          throw new BallastError('BALLAST_HOSTED_BUSY', { repo, attempts: attempt });
        // Another replica wrote: take its catalogue, then try again after a short wait.
        await sleep(Math.random() * 10 * Math.min(attempt, 5));
        await read();
      }
    }
  }

  function usable(): HostedCatalogue {
    if (broken) throw broken;
    return catalogue;
  }

  return {
    async load() {
      lastCheck = now();
      await read();
    },
    current: usable,
    checkedAt: () => lastCheck,

    async fresh({ force = false } = {}) {
      if (force || now() - lastCheck >= recheckMs) {
        checking ??= check().finally(() => {
          checking = undefined;
        });
        await checking;
      }
      return usable();
    },

    update(change) {
      // One write at a time in this process; replicas are kept apart by the write condition.
      const run = queue.then(() => attemptUntilWritten(change));
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
  };
}
