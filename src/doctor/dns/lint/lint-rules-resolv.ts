import type { RuleId } from '../../rule-catalogue.ts';
import { type ClusterDnsAddress, matchesClusterDns } from '../corefile/corefile-roles.ts';
import { dotsIn } from '../resolv/query-expansion.ts';
import {
  maxNameservers,
  muslIgnoredOptions,
  muslMaxLineLength,
  type ResolvConf,
} from '../resolv/resolv-conf.ts';
import type { NameTrace } from '../trace/trace.ts';
import { lookupEnds } from '../trace/trace-outcome.ts';
import type { RuleHit } from './lint-rule-kit.ts';

export interface ResolvContext {
  conf: ResolvConf;
  clusterDns?: ClusterDnsAddress;
  clusterDomain: string;
  /** Addresses NodeLocal DNSCache listens on, which are as good as the cluster DNS IP. */
  localDnsAddresses: string[];
  /** Traces of the names asked about, for what ndots costs them. */
  traces: NameTrace[];
}

export interface ResolvRule {
  id: RuleId;
  check(context: ResolvContext): RuleHit[];
}

const linesOf = (ctx: ResolvContext, keyword: string) =>
  ctx.conf.lines.filter((l) => l.keyword === keyword);

/** Searching beyond this many queries before the name itself is worth a warning. */
const wastedQueriesWorthAWarning = 4;

export const resolvRules: ResolvRule[] = [
  {
    id: 'resolv-no-nameserver',
    check: (ctx) =>
      linesOf(ctx, 'nameserver').length === 0
        ? [{ message: `${ctx.conf.label} has no nameserver line; lookups go to 127.0.0.1` }]
        : [],
  },
  {
    id: 'resolv-too-many-nameservers',
    check: (ctx) =>
      linesOf(ctx, 'nameserver')
        .slice(maxNameservers)
        .map((l) => ({
          message: `nameserver ${l.values[0] ?? ''} is number ${maxNameservers + 1} or later: glibc and musl use only the first ${maxNameservers}`,
          position: l.position,
        })),
  },
  {
    id: 'resolv-search-too-many',
    check: (ctx) =>
      linesOf(ctx, 'search')
        .filter((l) => l.values.length > 6)
        .map((l) => ({
          message: `search lists ${l.values.length} domains: glibc before 2.26 uses only the first 6${l.values.length > 32 ? ' and Kubernetes rejects more than 32' : ''}`,
          position: l.position,
        })),
  },
  {
    id: 'resolv-line-too-long',
    check: (ctx) =>
      ctx.conf.lines
        .filter((l) => l.text.length > muslMaxLineLength)
        .map((l) => ({
          message: `${l.keyword} line is ${l.text.length} characters: musl ignores the whole line${l.keyword === 'search' ? ' (and glibc before 2.26 keeps only 256 characters of search list)' : ''}`,
          position: l.position,
        })),
  },
  {
    id: 'resolv-ndots-capped',
    check: (ctx) =>
      linesOf(ctx, 'options').flatMap((l) =>
        l.values
          .filter((v) => /^ndots:\d+$/.test(v) && Number(v.slice(6)) > 15)
          .map((v) => ({
            message: `${v} is capped to ndots:15 by glibc and musl`,
            position: l.position,
          })),
      ),
  },
  {
    id: 'resolv-option-ignored-musl',
    check: (ctx) => {
      const ignored = muslIgnoredOptions(ctx.conf);
      const line = linesOf(ctx, 'options')[0];
      if (ignored.length === 0 || !line) return [];
      return [
        {
          message: `musl (Alpine images) ignores option${ignored.length > 1 ? 's' : ''} ${ignored.join(', ')}`,
          position: line.position,
        },
      ];
    },
  },
  {
    id: 'resolv-ndots-cost',
    check: (ctx) =>
      ctx.traces.flatMap((trace) => {
        if (trace.input.endsWith('.')) return [];
        // Without a Corefile to judge the answers, count up to the name as given.
        const judged = trace.queries.some((q) => q.hops.length > 0);
        const end = judged ? lookupEnds(trace).find((e) => e.libc === 'glibc') : undefined;
        const stop = end?.endsAt ?? trace.glibc[trace.glibc.length - 1];
        const before = stop ? trace.glibc.indexOf(stop) : 0;
        const wasted = before * 2;
        if (wasted < wastedQueriesWorthAWarning) return [];
        const dots = dotsIn(trace.input);
        return [
          {
            message: `${trace.input} has ${dots} dot${dots === 1 ? '' : 's'}, fewer than ndots:${trace.ndots}: a pod sends ${wasted} queries (${before} search names × A/AAAA) before it asks ${stop}`,
            position: linesOf(ctx, 'options')[0]?.position,
          },
        ];
      }),
  },
  {
    id: 'resolv-ndots-high',
    check: (ctx) => {
      const { ndots, search } = ctx.conf.glibc;
      if (ctx.traces.length > 0 || ndots < 3 || search.length === 0) return [];
      return [
        {
          message: `ndots:${ndots} with ${search.length} search domains: a name with fewer than ${ndots} dots costs up to ${(search.length + 1) * 2} queries`,
          position: linesOf(ctx, 'options')[0]?.position,
        },
      ];
    },
  },
  {
    id: 'resolv-nameserver-not-cluster-dns',
    check: (ctx) => {
      const first = linesOf(ctx, 'nameserver')[0];
      const address = first?.values[0];
      if (!ctx.clusterDns || !first || !address) return [];
      if (matchesClusterDns(address, 53, { host: ctx.clusterDns.host })) return [];
      if (ctx.localDnsAddresses.includes(address)) return [];
      return [
        {
          message: `the pod asks ${address}, which is neither the cluster DNS ${ctx.clusterDns.host} nor a NodeLocal DNSCache address: cluster names will not resolve`,
          position: first.position,
        },
      ];
    },
  },
  {
    id: 'resolv-search-missing-cluster-domain',
    check: (ctx) => {
      const domain = ctx.clusterDomain.replace(/\.$/, '');
      const search = ctx.conf.glibc.search;
      if (ctx.conf.assumed || search.length === 0 || search.includes(`svc.${domain}`)) return [];
      return [
        {
          message: `search list lacks svc.${domain}: short Service names (name.namespace) will not resolve`,
          position: linesOf(ctx, 'search').at(-1)?.position,
        },
      ];
    },
  },
];
