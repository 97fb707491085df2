import { type Finding, finding, type SourcePosition } from '../../findings.ts';
import type { DnsResult } from '../../net/dns-query.ts';
import { describeKeys } from '../corefile/corefile-model.ts';
import {
  type ClusterDnsAddress,
  type LoadedCorefile,
  matchesClusterDns,
  roleName,
} from '../corefile/corefile-roles.ts';
import { bindAddresses, type ForwardTarget, targetAddress } from '../corefile/forward-config.ts';
import { expandName } from '../resolv/query-expansion.ts';
import type { ResolvConf } from '../resolv/resolv-conf.ts';
import type { LookupEnd } from './trace-outcome.ts';
import { routeQuery } from './trace-route.ts';

export interface TraceContext {
  corefiles: readonly LoadedCorefile[];
  clusterDns?: ClusterDnsAddress;
  resolv: ResolvConf;
}

export interface HopTarget {
  text: string;
  /** host:port for address targets. */
  address?: string;
  host?: string;
  port?: number;
  transport: 'udp' | 'tcp' | 'tls';
  /** The Corefile that serves this target, when it is one of the inputs. */
  corefile?: string;
}

export interface TraceHop {
  server: string;
  name: string;
  address?: string;
  block?: string;
  blockPosition?: SourcePosition;
  plugin?: string;
  pluginPosition?: SourcePosition;
  outcome: 'answer' | 'maybe' | 'nxdomain' | 'forward' | 'servfail' | 'refused' | 'loop';
  detail: string;
  notes: string[];
  targets?: HopTarget[];
  /** With --live: what each target answered to this exact query. */
  live?: HopAnswer[];
}

export interface HopAnswer {
  target: string;
  transport: 'udp' | 'tcp';
  result: DnsResult;
}

export interface TraceQuery {
  name: string;
  type: 'A' | 'AAAA';
  search: string | null;
  hops: TraceHop[];
}

export interface NameTrace {
  input: string;
  nameserver: string;
  resolvConf: string;
  ndots: number;
  glibc: string[];
  musl: string[];
  queries: TraceQuery[];
  notes: string[];
  /** Where glibc's and musl's lookups end; filled in once live answers are known. */
  ends?: LookupEnd[];
}

const maxHops = 6;

/** Every query a pod sends for `input`, and the path each takes through the Corefiles. */
export function traceName(
  input: string,
  context: TraceContext,
): { trace: NameTrace; findings: Finding[] } {
  const { resolv } = context;
  const nameserver = resolv.glibc.nameservers[0] ?? '127.0.0.1';
  const glibc = expandName(input, resolv.glibc, 'glibc');
  const musl = expandName(input, resolv.musl, 'musl');
  const entry = entryFor(nameserver, context);
  const findings: Finding[] = [];
  const trace: NameTrace = {
    input,
    nameserver,
    resolvConf: resolv.label,
    ndots: resolv.glibc.ndots,
    glibc: glibc.map((c) => c.name),
    musl: musl.map((c) => c.name),
    queries: [],
    notes: entry.note ? [entry.note] : [],
  };
  const candidates = [...glibc, ...musl.filter((m) => !glibc.some((g) => g.name === m.name))];
  for (const candidate of candidates) {
    for (const type of ['A', 'AAAA'] as const) {
      const hops = entry.loaded
        ? followHops(candidate.name, type, entry.loaded, nameserver, context, findings)
        : [];
      trace.queries.push({ name: candidate.name, type, search: candidate.search, hops });
    }
  }
  return { trace, findings };
}

function entryFor(
  nameserver: string,
  context: TraceContext,
): { loaded?: LoadedCorefile; note?: string } {
  const bound = context.corefiles.find((c) =>
    c.corefile.blocks.some((b) => bindAddresses(b).includes(nameserver)),
  );
  if (bound) return { loaded: bound };
  const clusterDns = context.corefiles.find((c) => c.role === 'cluster-dns');
  if (clusterDns && matchesClusterDns(nameserver, 53, context.clusterDns))
    return { loaded: clusterDns };
  const nodeLocal = context.corefiles.find((c) => c.role === 'nodelocal');
  if (nodeLocal && nameserver.startsWith('169.254.')) return { loaded: nodeLocal };
  if (!context.clusterDns && context.corefiles.length > 0) {
    const assumed = nodeLocal ?? clusterDns ?? context.corefiles[0];
    return {
      loaded: assumed,
      note: `assumed the pod's nameserver ${nameserver} is ${assumed ? roleName(assumed.role) : 'the first Corefile'} (give --cluster-dns to be sure)`,
    };
  }
  return { note: `no Corefile given serves the pod's nameserver ${nameserver}` };
}

function followHops(
  name: string,
  type: 'A' | 'AAAA',
  first: LoadedCorefile,
  nameserver: string,
  context: TraceContext,
  findings: Finding[],
): TraceHop[] {
  const hops: TraceHop[] = [];
  const visited = new Set<string>();
  let current: LoadedCorefile | undefined = first;
  let address: string | undefined = nameserver;
  let port = 53;
  let currentName = name;
  for (let i = 0; i < maxHops && current; i++) {
    const route = routeQuery(current.corefile, {
      name: currentName,
      type,
      port,
      listenAddress: address,
    });
    const hop: TraceHop = {
      server: `${roleName(current.role)} (${current.corefile.label})`,
      name: route.name,
      address: address ? `${address}:${port}` : undefined,
      outcome: 'refused',
      detail: route.decision.detail,
      notes: route.notes,
    };
    if (route.block) {
      hop.block = describeKeys(route.block);
      hop.blockPosition = route.block.position;
      const key = `${current.corefile.label}|${route.block.position.line}|${route.block.position.column}`;
      if (visited.has(key)) {
        hop.outcome = 'loop';
        hop.detail = `the query comes back to ${hop.block}: forwarding loop`;
        findings.push(
          finding(
            'trace-forward-loop',
            `${name} loops: ${hops.map((h) => h.server).join(' -> ')} -> ${hop.server}`,
            route.block.position,
          ),
        );
        hops.push(hop);
        break;
      }
      visited.add(key);
    }
    currentName = route.name;
    const decision = route.decision;
    let next: { loaded: LoadedCorefile; address?: string; port: number } | undefined;
    if (decision.kind === 'answer') {
      hop.outcome = decision.outcome;
      hop.plugin = decision.plugin.name;
      hop.pluginPosition = decision.plugin.position;
    } else if (decision.kind === 'forward') {
      hop.outcome = 'forward';
      hop.plugin = 'forward';
      hop.pluginPosition = decision.plugin.position;
      const transport = decision.forward.forceTcp ? 'tcp' : 'udp';
      hop.targets = decision.forward.targets.map((t) => {
        const target = describeTarget(t, transport);
        const served = servingCorefile(t, context);
        if (served) {
          target.corefile = served.loaded.corefile.label;
          next ??= served;
        }
        return target;
      });
    } else if (decision.kind === 'servfail') {
      hop.outcome = 'servfail';
      findings.push(
        finding('trace-no-answering-plugin', `${name}: ${decision.detail}`, route.block?.position),
      );
    } else {
      findings.push(
        finding(
          'trace-no-server-block',
          `${name}: ${decision.detail} in ${current.corefile.label}`,
        ),
      );
    }
    hops.push(hop);
    current = next?.loaded;
    address = next?.address;
    port = next?.port ?? 53;
  }
  return hops;
}

function describeTarget(target: ForwardTarget, transport: 'udp' | 'tcp'): HopTarget {
  if (target.kind !== 'address') return { text: target.text, transport };
  return {
    text: target.text,
    address: targetAddress(target),
    host: target.host,
    port: target.port,
    transport: target.transport === 'tls' ? 'tls' : transport,
  };
}

/** Which input Corefile a forward target reaches: by bind address, or as the cluster DNS. */
function servingCorefile(
  target: ForwardTarget,
  context: TraceContext,
): { loaded: LoadedCorefile; address?: string; port: number } | undefined {
  const clusterDns = context.corefiles.find((c) => c.role === 'cluster-dns');
  if (
    target.kind === 'placeholder' &&
    target.text.includes('__PILLAR__CLUSTER__DNS__') &&
    clusterDns
  ) {
    return { loaded: clusterDns, port: 53 };
  }
  if (target.kind !== 'address') return undefined;
  const bound = context.corefiles.find((c) =>
    c.corefile.blocks.some(
      (b) => bindAddresses(b).includes(target.host) && b.keys.some((k) => k.port === target.port),
    ),
  );
  if (bound) return { loaded: bound, address: target.host, port: target.port };
  if (clusterDns && matchesClusterDns(target.host, target.port, context.clusterDns)) {
    // The cluster DNS Service sends its port to the pods' port 53.
    return { loaded: clusterDns, port: 53 };
  }
  return undefined;
}
