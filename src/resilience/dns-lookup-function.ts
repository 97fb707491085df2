import type { LookupAddress, LookupOptions } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { DnsLookupError } from './dns-lookup-error.ts';
import type { ResolvedAddress } from './dns-server-lookup.ts';

/**
 * Adapts a resolver to the `lookup` option of `net.connect`, `tls.connect` and undici's
 * `connect: { lookup }`, so every socket Ballast opens resolves through its own DNS.
 */
export function toLookupFunction(
  resolve: (hostname: string) => Promise<{ addresses: ResolvedAddress[] }>,
): LookupFunction {
  return (hostname, options: LookupOptions | undefined, callback) => {
    const wanted = familyOf(options?.family);
    resolve(hostname).then(
      ({ addresses }) => {
        const usable = wanted ? addresses.filter((a) => a.family === wanted) : addresses;
        const first = usable[0];
        if (!first) {
          const error = new DnsLookupError(hostname, 'dns-nodata', `no IPv${wanted} address`);
          return callback(error, options?.all ? [] : '');
        }
        if (options?.all) {
          const all: LookupAddress[] = usable.map(({ address, family }) => ({ address, family }));
          return callback(null, all);
        }
        callback(null, first.address, first.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, options?.all ? [] : ''),
    );
  };
}

function familyOf(family: LookupOptions['family']): 4 | 6 | undefined {
  if (family === 4 || family === 'IPv4') return 4;
  if (family === 6 || family === 'IPv6') return 6;
  return undefined;
}
