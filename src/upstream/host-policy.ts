/**
 * Where the requests made for one upstream may go, first URL and every redirect hop alike:
 * the upstream's own origin (scheme, host and port), origins it names itself (an OCI registry's
 * token realm), and the hosts the operator listed (`chartHosts`; `*.example.com` matches any
 * subdomain, on any port, over http or https). Everything an upstream sends is outside input,
 * so this is what keeps a hostile index or redirect from making Ballast fetch internal
 * addresses.
 */
export interface HostPolicy {
  allows(url: URL): boolean;
  /** What is allowed, for error messages. */
  describe(): string;
}

export interface HostPolicyOptions {
  /** The upstream's own origin, e.g. `https://charts.example.com`. */
  origin: string;
  /** Host patterns the operator allowed besides (`chartHosts`, `redirectHosts`). */
  hosts: readonly string[];
  /** The config key `hosts` come from, for messages. */
  hostsKey: string;
  /** Further origins, read at each check (a registry's token realms, learned from its challenges). */
  origins?: ReadonlySet<string>;
}

export function createHostPolicy(options: HostPolicyOptions): HostPolicy {
  const { origin, hosts, hostsKey } = options;
  return {
    allows(url) {
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return false;
      if (url.origin === origin || options.origins?.has(url.origin)) return true;
      return hosts.some((pattern) => hostMatches(url.hostname, pattern));
    },
    describe() {
      const also = [...(options.origins ?? [])].filter((o) => o !== origin);
      return [
        `the upstream's own origin ${origin}`,
        ...(also.length > 0 ? [`its token realm ${also.join(', ')}`] : []),
        hosts.length > 0 ? `${hostsKey} [${hosts.join(', ')}]` : `no ${hostsKey}`,
      ].join(', ');
    },
  };
}

/** `*.example.com` matches every subdomain of example.com (not example.com itself). */
export function hostMatches(hostname: string, pattern: string): boolean {
  const host = hostname.toLowerCase();
  const wanted = pattern.toLowerCase();
  if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1));
  return host === wanted;
}
