import { type DnsFailureCause, DnsLookupError } from './dns-lookup-error.ts';
import { type DnsServerAddress, formatDnsServer } from './dns-server-address.ts';
import {
  type AddressRecordType,
  type DnsQueryOptions,
  type DnsReply,
  queryDns,
} from './dns-wire-client.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

export interface DnsAnswer {
  /** IPv4 first: more networks route it. */
  addresses: ResolvedAddress[];
  /** Smallest TTL of the records used, in seconds. */
  ttlSeconds: number;
}

export type DnsQuery = (
  server: DnsServerAddress,
  name: string,
  type: AddressRecordType,
  options: DnsQueryOptions,
) => Promise<DnsReply>;

/**
 * Asks the servers in order for A and AAAA (both at once per server). NXDOMAIN and "no
 * address" are answers about the name and end the search; a timeout, SERVFAIL, REFUSED or a
 * socket error is a fault of that server, and the next one is asked.
 */
export async function resolveWithServers(
  hostname: string,
  servers: readonly DnsServerAddress[],
  options: DnsQueryOptions & { query?: DnsQuery },
): Promise<DnsAnswer> {
  const query = options.query ?? queryDns;
  const problems: string[] = [];
  let cause: DnsFailureCause = 'dns-network';
  for (const server of servers) {
    const settled = await Promise.allSettled([
      query(server, hostname, 'A', options),
      query(server, hostname, 'AAAA', options),
    ]);
    if (options.signal?.aborted) throw options.signal.reason;
    const [v4, v6] = settled.map((result) =>
      result.status === 'fulfilled' ? result.value : undefined,
    );
    const where = formatDnsServer(server);
    if (v4?.rcode === 'NXDOMAIN' || v6?.rcode === 'NXDOMAIN') {
      throw new DnsLookupError(hostname, 'dns-nxdomain', `NXDOMAIN from ${where}`);
    }
    const addresses: ResolvedAddress[] = [
      ...(v4?.rcode === 'NOERROR'
        ? v4.addresses.map((address) => ({ address, family: 4 as const }))
        : []),
      ...(v6?.rcode === 'NOERROR'
        ? v6.addresses.map((address) => ({ address, family: 6 as const }))
        : []),
    ];
    if (addresses.length > 0) {
      const ttls = [v4, v6].filter((r) => r?.addresses.length).map((r) => r?.ttl ?? 0);
      return { addresses, ttlSeconds: Math.min(...ttls) };
    }
    if (v4?.rcode === 'NOERROR' && v6?.rcode === 'NOERROR') {
      throw new DnsLookupError(hostname, 'dns-nodata', `no A or AAAA record at ${where}`);
    }
    const failure = describeFailure(settled);
    cause = failure.cause;
    problems.push(`${where}: ${failure.detail}`);
  }
  throw new DnsLookupError(hostname, cause, problems.join('; ') || 'no DNS server configured');
}

function describeFailure(settled: PromiseSettledResult<DnsReply>[]): {
  cause: DnsFailureCause;
  detail: string;
} {
  for (const result of settled) {
    if (result.status === 'rejected') {
      const code = (result.reason as { code?: unknown })?.code;
      return code === 'ETIMEOUT'
        ? { cause: 'dns-timeout', detail: 'timed out' }
        : { cause: 'dns-network', detail: String((result.reason as Error)?.message ?? code) };
    }
  }
  for (const result of settled) {
    if (result.status === 'fulfilled' && result.value.rcode !== 'NOERROR') {
      const { rcode } = result.value;
      return { cause: rcode === 'REFUSED' ? 'dns-refused' : 'dns-servfail', detail: rcode };
    }
  }
  return { cause: 'dns-servfail', detail: 'no usable answer' };
}
