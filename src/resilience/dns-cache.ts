import type { DnsLookupError } from './dns-lookup-error.ts';
import type { ResolvedAddress } from './dns-server-lookup.ts';

/**
 * What the resolver remembers per name: the current answer until its TTL ends, a recent
 * failure for a short while (so a dead DNS server is not asked on every connect), and the
 * last good answer, kept for stale-if-error. Bounded: the oldest names are forgotten first.
 */
export interface DnsCache {
  fresh(hostname: string, now: number): ResolvedAddress[] | undefined;
  recentFailure(hostname: string, now: number): DnsLookupError | undefined;
  lastKnown(hostname: string): { addresses: ResolvedAddress[]; at: number } | undefined;
  storeAnswer(hostname: string, addresses: ResolvedAddress[], ttlMs: number, now: number): void;
  storeFailure(hostname: string, error: DnsLookupError, forMs: number, now: number): void;
  clear(): void;
}

interface Entry {
  addresses?: ResolvedAddress[];
  /** When `addresses` last came from DNS. */
  answeredAt: number;
  freshUntil: number;
  failure?: DnsLookupError;
  failureUntil: number;
}

export function createDnsCache(maxNames = 1_000): DnsCache {
  const entries = new Map<string, Entry>();

  const entryFor = (hostname: string): Entry => {
    let entry = entries.get(hostname);
    if (entry) {
      entries.delete(hostname); // re-insert: Map order is then least recently written first
    } else {
      entry = { answeredAt: 0, freshUntil: 0, failureUntil: 0 };
      const oldest = entries.size >= maxNames ? entries.keys().next().value : undefined;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(hostname, entry);
    return entry;
  };

  return {
    fresh(hostname, now) {
      const entry = entries.get(hostname);
      return entry?.addresses && now < entry.freshUntil ? entry.addresses : undefined;
    },
    recentFailure(hostname, now) {
      const entry = entries.get(hostname);
      return entry?.failure && now < entry.failureUntil ? entry.failure : undefined;
    },
    lastKnown(hostname) {
      const entry = entries.get(hostname);
      return entry?.addresses ? { addresses: entry.addresses, at: entry.answeredAt } : undefined;
    },
    storeAnswer(hostname, addresses, ttlMs, now) {
      const entry = entryFor(hostname);
      entry.addresses = addresses;
      entry.answeredAt = now;
      entry.freshUntil = now + ttlMs;
      entry.failure = undefined;
    },
    storeFailure(hostname, error, forMs, now) {
      const entry = entryFor(hostname);
      entry.failure = error;
      entry.failureUntil = now + forMs;
      entry.freshUntil = 0;
    },
    clear() {
      entries.clear();
    },
  };
}
