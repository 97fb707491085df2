import { lookup as systemLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import type { EventBus } from '../observability/events.ts';
import type { Clock } from './clock.ts';
import { createDnsCache } from './dns-cache.ts';
import { type DnsFailureCause, DnsLookupError } from './dns-lookup-error.ts';
import { toLookupFunction } from './dns-lookup-function.ts';
import { parseDnsServer } from './dns-server-address.ts';
import { type DnsQuery, type ResolvedAddress, resolveWithServers } from './dns-server-lookup.ts';
import { createSingleFlight } from './single-flight.ts';

export interface ResolverTtlPolicy {
  /** Answers are kept at least this long, whatever their TTL (TTL 0 would mean a query per connect). */
  floorMs: number;
  ceilingMs: number;
  /** How long a failure (NXDOMAIN, timeout, …) is remembered before DNS is asked again. */
  negativeMs: number;
  /** How long an answer of the system resolver is kept; it does not tell its TTL. */
  systemMs: number;
}

export const defaultResolverTtl: Readonly<ResolverTtlPolicy> = Object.freeze({
  floorMs: 1_000,
  ceilingMs: 300_000,
  negativeMs: 1_000,
  systemMs: 30_000,
});

export interface ResolverOptions {
  /** 'ip' (port 53) or 'ip:port' / '[ip6]:port', asked in order; none: the system resolver. */
  servers?: readonly string[];
  /** How long after its last successful lookup a name's addresses are still served when DNS fails. */
  staleFor: number;
  /** Addresses used when DNS fails and nothing fresh enough is known. */
  hosts?: Readonly<Record<string, readonly string[]>>;
  /** Per server and query. */
  timeoutMs: number;
  clock: Clock;
  bus?: EventBus;
  ttl?: Partial<ResolverTtlPolicy>;
  /** Most names remembered. */
  maxNames?: number;
  /** Replaces the wire client (tests). */
  query?: DnsQuery;
  /** Replaces `dns.lookup` on the system path (tests). */
  system?: (hostname: string) => Promise<ResolvedAddress[]>;
}

export type ResolutionSource = 'cache' | 'dns' | 'stale' | 'static';

export interface Resolution {
  addresses: ResolvedAddress[];
  stale: boolean;
  source: ResolutionSource;
}

export interface Resolver {
  /** Rejects with a DnsLookupError (code ENOTFOUND or EAI_AGAIN) when nothing can be served. */
  resolve(hostname: string, signal?: AbortSignal): Promise<Resolution>;
  /** For `net.connect({ lookup })`, `tls.connect` and undici's `connect: { lookup }`. */
  readonly lookup: LookupFunction;
  clear(): void;
}

export function createResolver(options: ResolverOptions): Resolver {
  const { clock, bus, staleFor } = options;
  const ttl: ResolverTtlPolicy = { ...defaultResolverTtl, ...options.ttl };
  const servers = (options.servers ?? []).map(parseDnsServer);
  const hosts = readStaticHosts(options.hosts ?? {});
  const cache = createDnsCache(options.maxNames);
  const flights = createSingleFlight<Resolution>();
  const system = options.system ?? lookupWithSystem;

  const fallback = (name: string, error: DnsLookupError): Resolution => {
    const last = cache.lastKnown(name);
    const ageMs = last ? clock.now() - last.at : Number.POSITIVE_INFINITY;
    if (last && ageMs <= staleFor) {
      bus?.emit('dns:stale', { hostname: name, ageMs, cause: error.dnsCause });
      return { addresses: last.addresses, stale: true, source: 'stale' };
    }
    const fixed = hosts.get(name);
    if (fixed) return { addresses: fixed, stale: false, source: 'static' };
    throw error;
  };

  const refresh = async (name: string): Promise<Resolution> => {
    try {
      const answer =
        servers.length > 0
          ? await resolveWithServers(name, servers, {
              clock,
              timeoutMs: options.timeoutMs,
              query: options.query,
            })
          : { addresses: await system(name), ttlSeconds: ttl.systemMs / 1000 };
      const keepMs = Math.min(ttl.ceilingMs, Math.max(ttl.floorMs, answer.ttlSeconds * 1000));
      cache.storeAnswer(name, answer.addresses, keepMs, clock.now());
      return { addresses: answer.addresses, stale: false, source: 'dns' };
    } catch (caught) {
      const error = asLookupError(name, caught);
      cache.storeFailure(name, error, ttl.negativeMs, clock.now());
      try {
        const served = fallback(name, error);
        bus?.emit('dns:lookup-failed', {
          hostname: name,
          cause: error.dnsCause,
          servedFrom: served.source as 'stale' | 'static',
        });
        return served;
      } catch (unserved) {
        bus?.emit('dns:lookup-failed', {
          hostname: name,
          cause: error.dnsCause,
          servedFrom: 'none',
        });
        throw unserved;
      }
    }
  };

  const resolve = async (hostname: string, signal?: AbortSignal): Promise<Resolution> => {
    const name = normalise(hostname);
    const literal = literalAddresses(name);
    if (literal) return { addresses: literal, stale: false, source: 'static' };
    const now = clock.now();
    const cached = cache.fresh(name, now);
    if (cached) return { addresses: cached, stale: false, source: 'cache' };
    const failure = cache.recentFailure(name, now);
    if (failure) return fallback(name, failure);
    return abortable(
      flights.run(name, () => refresh(name)),
      signal,
    );
  };

  return {
    resolve,
    lookup: toLookupFunction((hostname) => resolve(hostname)),
    clear: () => cache.clear(),
  };
}

function normalise(hostname: string): string {
  const name = hostname.trim().toLowerCase().replace(/\.$/, '');
  return name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
}

/** IP literals and localhost (RFC 6761) never go to the network. */
function literalAddresses(name: string): ResolvedAddress[] | undefined {
  const family = isIP(name);
  if (family === 4 || family === 6) return [{ address: name, family }];
  if (name === 'localhost' || name.endsWith('.localhost')) {
    return [
      { address: '127.0.0.1', family: 4 },
      { address: '::1', family: 6 },
    ];
  }
  return undefined;
}

function readStaticHosts(
  hosts: Readonly<Record<string, readonly string[]>>,
): Map<string, ResolvedAddress[]> {
  const result = new Map<string, ResolvedAddress[]>();
  for (const [hostname, addresses] of Object.entries(hosts)) {
    const resolved = addresses.map((address) => {
      const family = isIP(address);
      if (family !== 4 && family !== 6) {
        throw new TypeError(
          `static address '${address}' of host '${hostname}' is not an IP address`,
        );
      }
      return { address, family } as const;
    });
    if (resolved.length > 0) result.set(normalise(hostname), resolved);
  }
  return result;
}

/** The system resolver (getaddrinfo: /etc/hosts, then the configured nameservers). */
export async function lookupWithSystem(hostname: string): Promise<ResolvedAddress[]> {
  const found = await systemLookup(hostname, { all: true, order: 'ipv4first' });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
}

const systemCauses: Record<string, DnsFailureCause> = {
  ENOTFOUND: 'dns-nxdomain',
  ENODATA: 'dns-nodata',
  EAI_AGAIN: 'dns-eai-again',
};

function asLookupError(hostname: string, error: unknown): DnsLookupError {
  if (error instanceof DnsLookupError) return error;
  const code = (error as { code?: unknown })?.code;
  const cause = (typeof code === 'string' && systemCauses[code]) || 'dns-system';
  return new DnsLookupError(hostname, cause, String((error as Error)?.message ?? error), {
    cause: error,
  });
}

/** The shared lookup goes on for the others; only this caller stops waiting. */
function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
