import type { DnsResult } from '../../net/dns-query.ts';
import { continuesAfter, type Libc, type QueryOutcome } from '../resolv/query-expansion.ts';
import type { NameTrace, TraceHop, TraceQuery } from './trace.ts';

/** Where one C library's lookup ends, walking the candidate names in its order. */
export interface LookupEnd {
  libc: Libc;
  /** The candidate the lookup ends at, or null when every candidate was tried. */
  endsAt: string | null;
  outcome: QueryOutcome;
  /** Queries sent until the end (A and AAAA per candidate). */
  queries: number;
  /** Whether the outcome rests on live answers all the way, or partly on what the Corefile says. */
  certain: boolean;
}

/**
 * Walks the candidates the way each library does: glibc goes on after NXDOMAIN, NODATA and
 * SERVFAIL, musl only after NXDOMAIN. A candidate's outcome comes from what the last hop
 * answered live, else from what the Corefile says (kubernetes NXDOMAIN, an answering plugin),
 * else it is unknown and the walk stops there, as the lookup may.
 */
export function lookupEnds(trace: NameTrace): LookupEnd[] {
  return (['glibc', 'musl'] as const).map((libc) => {
    const names = libc === 'glibc' ? trace.glibc : trace.musl;
    let certain = true;
    for (const [index, name] of names.entries()) {
      const outcome = candidateOutcome(trace.queries.filter((q) => q.name === name));
      if (outcome.guessed) certain = false;
      if (!continuesAfter(outcome.outcome, libc) || outcome.outcome === 'unknown') {
        return { libc, endsAt: name, outcome: outcome.outcome, queries: (index + 1) * 2, certain };
      }
    }
    return { libc, endsAt: null, outcome: 'nxdomain', queries: names.length * 2, certain };
  });
}

function candidateOutcome(queries: readonly TraceQuery[]): {
  outcome: QueryOutcome;
  guessed: boolean;
} {
  const outcomes = queries.map((q) => hopOutcome(q.hops[q.hops.length - 1]));
  if (outcomes.some((o) => o.outcome === 'answer')) {
    return { outcome: 'answer', guessed: outcomes.some((o) => o.guessed) };
  }
  const a = outcomes[0] ?? { outcome: 'unknown' as const, guessed: true };
  return a;
}

function hopOutcome(hop: TraceHop | undefined): { outcome: QueryOutcome; guessed: boolean } {
  if (!hop) return { outcome: 'unknown', guessed: true };
  const live = hop.live?.map((l) => l.result);
  if (live && live.length > 0) return { outcome: fromResults(live), guessed: false };
  switch (hop.outcome) {
    case 'answer':
      return { outcome: 'answer', guessed: false };
    case 'nxdomain':
      return { outcome: 'nxdomain', guessed: false };
    case 'servfail':
    case 'loop':
      return { outcome: 'servfail', guessed: false };
    case 'refused':
      return { outcome: 'refused', guessed: false };
    default:
      return { outcome: 'unknown', guessed: true };
  }
}

/** A forward picks one target; if any target answers with records, the name can resolve. */
function fromResults(results: readonly DnsResult[]): QueryOutcome {
  const answered = results.filter((r) => r.status === 'answered');
  if (answered.some((r) => r.rcode === 'NOERROR' && r.answers.length > 0)) return 'answer';
  const first = answered[0];
  if (!first) return 'timeout';
  if (first.rcode === 'NXDOMAIN') return 'nxdomain';
  if (first.rcode === 'NOERROR') return 'nodata';
  if (first.rcode === 'REFUSED') return 'refused';
  return 'servfail';
}
