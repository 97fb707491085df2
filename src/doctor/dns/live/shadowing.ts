import { type Finding, finding } from '../../findings.ts';
import { addressesOf, type DnsResult } from '../../net/dns-query.ts';
import { describeResult, type LiveQuerier } from '../../net/live-querier.ts';
import {
  type ClusterDnsAddress,
  isClusterZone,
  matchesClusterDns,
} from '../corefile/corefile-roles.ts';
import { type ForwardTarget, inZone, targetAddress } from '../corefile/forward-config.ts';
import type { NameTrace } from '../trace/trace.ts';
import { type LiveQuestion, type ProbedForward, zoneQuestions } from './live-probe.ts';

export interface ShadowComparison {
  zone: string;
  corefile: string;
  name: string;
  stub: { target: string; answer: string }[];
  catchAll: { target: string; answer: string }[];
  /** False when the catch-all gave no address to compare with. */
  comparable: boolean;
  shadows: boolean;
}

type AddressTarget = Extract<ForwardTarget, { kind: 'address' }>;

/**
 * Incident E's signature: a stub zone whose server answers differently from the catch-all
 * forward (`.`) for the same name. A stub zone that hides records the catch-all has, or
 * serves other addresses for them, is flagged; a private zone the catch-all does not know
 * (NXDOMAIN there) is what stub zones are for and is not.
 */
export async function checkShadowing(
  forwards: readonly ProbedForward[],
  traces: readonly NameTrace[],
  querier: LiveQuerier,
  context: { clusterDomain: string; clusterDns?: ClusterDnsAddress },
): Promise<{ comparisons: ShadowComparison[]; findings: Finding[] }> {
  const comparisons: ShadowComparison[] = [];
  const findings: Finding[] = [];
  for (const stub of forwards) {
    if (stub.zone === '.' || isClusterZone(stub.zone, context.clusterDomain)) continue;
    const catchAll = forwards.find(
      (f) => f.loaded === stub.loaded && f.zone === '.' && f.forward.from === '.',
    );
    if (!catchAll) continue;
    const stubTargets = queryable(stub, context.clusterDns);
    const catchTargets = queryable(catchAll, context.clusterDns);
    if (stubTargets.length === 0 || catchTargets.length === 0) continue;
    const ask = (targets: AddressTarget[], question: LiveQuestion) =>
      Promise.all(
        targets.map(async (t) => ({
          target: targetAddress(t) ?? t.text,
          result: await querier.ask(t.host, t.port, question.name, question.type, 'udp'),
        })),
      );
    // All questions at once: a silent stub server then costs one timeout, not one per name.
    const answered = await Promise.all(
      namesFor(stub.zone, traces).map(async (question) => {
        const [stubAnswers, catchAnswers] = await Promise.all([
          ask(stubTargets, question),
          ask(catchTargets, question),
        ]);
        return { question, stubAnswers, catchAnswers };
      }),
    );
    for (const { question, stubAnswers, catchAnswers } of answered) {
      const upstream = catchAnswers.find((a) => hasAddresses(a.result));
      const expected = upstream ? addressesOf(upstream.result).join(',') : '';
      const differing = stubAnswers.filter((a) => addressesOf(a.result).join(',') !== expected);
      const shadows = upstream !== undefined && differing.length > 0;
      const view = (list: { target: string; result: DnsResult }[]) =>
        list.map((a) => ({ target: a.target, answer: describeResult(a.result) }));
      comparisons.push({
        zone: stub.zone,
        corefile: stub.loaded.corefile.label,
        name: `${question.name} ${question.type}`,
        stub: view(stubAnswers),
        catchAll: view(catchAnswers),
        comparable: upstream !== undefined,
        shadows,
      });
      const privateName = stubAnswers.find((a) => hasAddresses(a.result));
      const catchAllSays = catchAnswers.find((a) => a.result.status === 'answered');
      if (!upstream && privateName && catchAllSays) {
        findings.push(
          finding(
            'stub-zone-private',
            `stub zone ${stub.zone} answers ${question.name} (${privateName.target} says ${describeResult(privateName.result)}) where the catch-all forward ${catchAllSays.target} says ${describeResult(catchAllSays.result)}`,
            stub.forward.directive.position,
          ),
        );
      }
      if (shadows && upstream) {
        const stubText = differing
          .map((a) => `${a.target} says ${describeResult(a.result)}`)
          .join('; ');
        findings.push(
          finding(
            'stub-zone-shadows',
            `stub zone ${stub.zone} shadows ${question.name}: ${stubText}, but the catch-all forward ${upstream.target} says ${describeResult(upstream.result)}`,
            stub.forward.directive.position,
          ),
        );
      }
    }
  }
  return { comparisons, findings };
}

function queryable(
  probe: ProbedForward,
  clusterDns: ClusterDnsAddress | undefined,
): AddressTarget[] {
  return probe.forward.targets.filter(
    (t): t is AddressTarget =>
      t.kind === 'address' &&
      t.transport === 'dns' &&
      !matchesClusterDns(t.host, t.port, clusterDns),
  );
}

function namesFor(zone: string, traces: readonly NameTrace[]): LiveQuestion[] {
  const traced = new Set<string>();
  for (const trace of traces) {
    for (const query of trace.queries)
      if (query.type === 'A' && inZone(query.name, zone)) traced.add(query.name);
  }
  return traced.size > 0
    ? [...traced].slice(0, 8).map((name) => ({ name, type: 'A' as const }))
    : zoneQuestions(zone);
}

function hasAddresses(result: DnsResult): boolean {
  return (
    result.status === 'answered' && result.rcode === 'NOERROR' && addressesOf(result).length > 0
  );
}
