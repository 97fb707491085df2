import { BallastError, type ErrorDetails } from '../errors/ballast-error.ts';
import { type ErrorCode, errorCatalogue } from '../errors/catalogue.ts';
import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/** How fresh the served index is, as a replica reports it (`ballast-index-age`, `ballast-stale`). */
export interface Freshness {
  /** When an upstream last confirmed the index (ms since the epoch). */
  checkedAt: number;
  /** Set while the upstreams fail: the last good index is what is served. */
  lastError: BallastError | undefined;
  /** When this replica last heard it from the replica that asked the upstream; 0 if it asked. */
  heardAt: number;
  /**
   * The upstream URLs the replica that asked serves its index from, when this one heard it:
   * after a failover, the backup's, which this replica's own deferred answer cannot tell.
   */
  servedFrom?: string[];
}

/** One revalidation of a repository's index, judged by whether it asked an upstream. */
export interface Revalidation {
  /** It succeeded: the freshness it found, or what the replica that asked reported. */
  succeeded(): Promise<Freshness>;
  /** It failed: when it asked an upstream, the other replicas learn of the failure. */
  failed(lastCheckedAt: number, error: BallastError): Promise<void>;
}

export interface IndexFreshness {
  begin(): Revalidation;
}

export interface IndexFreshnessOptions {
  repo: string;
  store: Store;
  bus: EventBus;
  logger: Logger;
  now: () => number;
  /** How many requests for an index this repository's upstreams have been sent so far. */
  asked: () => number;
  /** Set when replicas share the store: the outcome is shared with them through it. */
  replica?: string;
  /** The upstream URLs this replica serves its index from now. */
  servedFrom: () => string[];
}

interface FreshnessRecord {
  checkedAt: number;
  servedFrom?: string[];
  /** When it was written, and by which replica: for people reading the bucket. */
  at: number;
  by: string;
  failure?: { code: ErrorCode; details: ErrorDetails };
}

/**
 * With a refresh lease, one replica asks an upstream and the others only read the bucket, so
 * they cannot tell on their own whether the upstream still answers. The replica that asked
 * records the outcome (`replicas/repos/<repo>/freshness`), and the others report it as their
 * own: the age of the index since an upstream last confirmed it, and why it is stale.
 */
export function createIndexFreshness(options: IndexFreshnessOptions): IndexFreshness {
  const { store, bus, logger, now, asked, replica, repo, servedFrom } = options;
  const key = storeKeys.indexFreshness(repo);

  async function report(record: Omit<FreshnessRecord, 'at' | 'by' | 'servedFrom'>) {
    if (!replica) return;
    const shared = { ...record, servedFrom: servedFrom(), at: now(), by: replica };
    try {
      await store.putDocument(key, JSON.stringify(shared));
    } catch (error) {
      logger.warn({ err: error }, 'could not share the outcome of the index refresh');
    }
  }

  async function heard(): Promise<FreshnessRecord | undefined> {
    try {
      return parseRecord(await store.getDocument(key));
    } catch (error) {
      logger.warn({ err: error }, 'could not read the outcome of the index refresh');
      return undefined;
    }
  }

  return {
    begin() {
      const askedBefore = asked();
      const didAsk = () => asked() > askedBefore;
      return {
        async succeeded() {
          if (!replica || didAsk()) {
            const checkedAt = now();
            await report({ checkedAt });
            return { checkedAt, lastError: undefined, heardAt: 0 };
          }
          const record = await heard();
          // Nobody has reported yet (a replica of an older version holds the lease).
          if (!record) return { checkedAt: now(), lastError: undefined, heardAt: 0 };
          const { failure } = record;
          // The replica that asked emitted this when it happened; here it closes alerts too.
          if (!failure) bus.emit('index:unchanged', { repo, upstream: '' });
          return {
            checkedAt: record.checkedAt,
            lastError: failure && new BallastError(failure.code, failure.details),
            heardAt: now(),
            ...(record.servedFrom ? { servedFrom: record.servedFrom } : {}),
          };
        },

        async failed(lastCheckedAt, error) {
          if (!didAsk()) return;
          await report({
            checkedAt: lastCheckedAt,
            failure: { code: error.code, details: plainDetails(error.details) },
          });
        },
      };
    },
  };
}

/** A record as another replica wrote it; anything malformed counts as none. */
function parseRecord(bytes: Buffer | undefined): FreshnessRecord | undefined {
  if (!bytes) return undefined;
  let value: Partial<FreshnessRecord>;
  try {
    value = JSON.parse(bytes.toString('utf8')) as Partial<FreshnessRecord>;
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || typeof value.checkedAt !== 'number')
    return undefined;
  const { failure, servedFrom } = value;
  if (
    failure !== undefined &&
    !(typeof failure?.code === 'string' && failure.code in errorCatalogue)
  )
    return undefined;
  return {
    checkedAt: value.checkedAt,
    at: Number(value.at),
    by: String(value.by),
    ...(isStringList(servedFrom) ? { servedFrom } : {}),
    ...(failure ? { failure: { code: failure.code, details: plainDetails(failure.details) } } : {}),
  };
}

/** Details that survive JSON as they were: strings, numbers and booleans. */
function plainDetails(details: unknown): ErrorDetails {
  if (typeof details !== 'object' || details === null) return {};
  return Object.fromEntries(
    Object.entries(details).filter(([, v]) => ['string', 'number', 'boolean'].includes(typeof v)),
  ) as ErrorDetails;
}

function isStringList(value: unknown): value is string[] {
  return Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string');
}
