import type { Corefile, ServerBlock } from './corefile-model.ts';
import { bindAddresses, inZone, splitHostPort } from './forward-config.ts';

/** What a Corefile is for: NodeLocal DNSCache on each node, or the cluster's CoreDNS. */
export type CorefileRole = 'nodelocal' | 'cluster-dns' | 'other';

/** A parsed Corefile and what it is for. */
export interface LoadedCorefile {
  corefile: Corefile;
  role: CorefileRole;
}

export interface ClusterDnsAddress {
  host: string;
  /** Only set when given with a port (tests run DNS servers on loopback ports). */
  port?: number;
}

export function parseClusterDns(text: string): ClusterDnsAddress | undefined {
  const hostPort = splitHostPort(text, 53);
  if (!hostPort) return undefined;
  const withPort = /\]:\d+$/.test(text) || (!text.includes('[') && /^[\d.]+:\d+$/.test(text));
  return withPort ? hostPort : { host: hostPort.host };
}

export function matchesClusterDns(
  host: string,
  port: number,
  clusterDns: ClusterDnsAddress | undefined,
): boolean {
  if (!clusterDns) return false;
  return clusterDns.host === host && (clusterDns.port === undefined || clusterDns.port === port);
}

/**
 * NodeLocal DNSCache listens on a link-local address (169.254.20.10 by default) and its
 * manifest names that address `__PILLAR__LOCAL__DNS__`; CoreDNS for the cluster runs the
 * kubernetes plugin.
 */
export function detectRole(corefile: Corefile): CorefileRole {
  if (corefile.configMap && /node-?local/i.test(corefile.configMap)) return 'nodelocal';
  const binds = corefile.blocks.flatMap(bindAddresses);
  if (binds.some((b) => b.startsWith('169.254.') || b.includes('__PILLAR__LOCAL__DNS__'))) {
    return 'nodelocal';
  }
  const plugins = corefile.blocks.flatMap((b) => b.directives.map((d) => d.name));
  return plugins.includes('kubernetes') ? 'cluster-dns' : 'other';
}

export function roleName(role: CorefileRole): string {
  if (role === 'nodelocal') return 'NodeLocal DNSCache';
  if (role === 'cluster-dns') return 'CoreDNS';
  return 'DNS server';
}

/** The cluster domain: given, else the first forward zone of a kubernetes plugin, else cluster.local. */
export function clusterDomainOf(corefiles: readonly Corefile[], given?: string): string {
  if (given) return given.toLowerCase().replace(/\.?$/, '.');
  for (const corefile of corefiles) {
    for (const block of corefile.blocks) {
      for (const directive of block.directives) {
        if (directive.name !== 'kubernetes') continue;
        const zones = directive.args.length > 0 ? directive.args : block.keys.map((k) => k.text);
        const zone = zones.find((z) => !/arpa\.?$/.test(z) && z !== '.' && !z.includes('/'));
        if (zone) return zone.toLowerCase().replace(/:\d+$/, '').replace(/\.?$/, '.');
      }
    }
  }
  return 'cluster.local.';
}

/** Zones the cluster itself answers: the cluster domain and the reverse trees. */
export function isClusterZone(zone: string, clusterDomain: string): boolean {
  return inZone(zone, clusterDomain) || inZone(zone, 'in-addr.arpa.') || inZone(zone, 'ip6.arpa.');
}

export function blockZones(block: ServerBlock): string[] {
  return block.keys.flatMap((k) => k.zones);
}
