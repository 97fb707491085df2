import type { Config } from '../config/schema.ts';
import type { StageSettings } from '../doctor/upstream/run-stages.ts';
import type { DnsServer } from '../doctor/upstream/stage-dns.ts';
import {
  fileUpstreamTarget,
  parseUpstreamTarget,
  type UpstreamTarget,
} from '../doctor/upstream/upstream-target.ts';
import { rewritePath, upstreamFileUrl } from '../files/file-path.ts';
import { formatDnsServer, parseDnsServer } from '../resilience/dns-server-address.ts';

/** What an upstream belongs to: a repository (`repos[]`) or a file mirror (`files[]`). */
export interface ProbeSubject {
  kind: 'repo' | 'file';
  name: string;
}

export interface ProbeTarget {
  subject: ProbeSubject;
  /** Position among the subject's upstreams; with the subject, the key of its record. */
  position: number;
  url: string;
  target: UpstreamTarget;
  /** guard.maxShrink of the repository, for classic indexes. */
  maxShrink?: number;
}

/** Every upstream of every repository and file mirror, as the probes see them. */
export function probeTargets(config: Config): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const repo of config.repos) {
    repo.upstreams.forEach((upstream, position) => {
      // OCI registries cannot list a namespace: the first chart of the repository stands in.
      const target = parseUpstreamTarget(upstream.url, {
        chart: upstream.url.startsWith('oci:') ? repo.charts[0] : undefined,
        plainHttp: upstream.plainHttp,
      });
      // A private registry answers the probe's token request as it answers Ballast's own.
      if (upstream.credentials) {
        const { username, password } = upstream.credentials;
        target.basicAuth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
      }
      targets.push({
        subject: { kind: 'repo', name: repo.name },
        position,
        url: upstream.url,
        target,
        maxShrink: repo.guard.maxShrink,
      });
    });
  }
  for (const mirror of config.files) {
    mirror.upstreams.forEach((upstream, position) => {
      const fileUrl = mirror.probe
        ? new URL(upstreamFileUrl(upstream.url, rewritePath(mirror.probe, upstream.rewrite)))
        : undefined;
      targets.push({
        subject: { kind: 'file', name: mirror.name },
        position,
        url: upstream.url,
        target: fileUpstreamTarget(upstream.url, fileUrl),
      });
    });
  }
  return targets;
}

/**
 * The stage settings every probe shares, from the config: Ballast's own resolvers (or the
 * system's when none are configured), its redirect and index size limits, the certificate
 * warning of alerts.certExpiry.
 */
export function probeSettings(config: Config): StageSettings {
  const servers = config.resolver.servers ?? [];
  const dnsServers: DnsServer[] = servers.map((text) => {
    const server = parseDnsServer(text);
    return { text: formatDnsServer(server), host: server.host, port: server.port };
  });
  return {
    resolvers: {
      systemResolver: dnsServers.length === 0,
      dnsServers,
      timeoutMs: config.resolver.timeout,
    },
    timeoutMs: config.probes.timeout,
    maxBodyBytes: config.limits.indexSize,
    maxRedirects: config.maxRedirects,
    userAgent: 'ballast-probe',
    expiryWarningDays: config.alerts.certExpiry / 86_400_000,
  };
}
