import type { UpstreamConfig } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import { redact } from '../upstream/http-client.ts';

/**
 * An index is outside input: its chart URLs may only point at the upstream's own host or at
 * hosts the operator listed in `chartHosts` (`*.example.com` matches any subdomain). This
 * keeps a hostile index from making Ballast fetch from internal addresses.
 */
export function assertChartHostAllowed(url: string, upstreams: readonly UpstreamConfig[]): void {
  const target = new URL(url);
  const allowed = upstreams.some((upstream) => {
    const own = new URL(upstream.url);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') return false;
    if (target.host === own.host) return true;
    return upstream.chartHosts.some((pattern) => hostMatches(target.hostname, pattern));
  });
  if (!allowed) {
    throw new BallastError('BALLAST_CHART_HOST_NOT_ALLOWED', {
      url: redact(url),
      host: target.host,
      upstream: upstreams.map((u) => redact(u.url)).join(', '),
    });
  }
}

function hostMatches(hostname: string, pattern: string): boolean {
  const host = hostname.toLowerCase();
  const wanted = pattern.toLowerCase();
  if (wanted.startsWith('*.')) return host.endsWith(wanted.slice(1));
  return host === wanted;
}
