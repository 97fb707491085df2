import type { RecordType } from 'dns-packet';
import { type Finding, finding, type SourcePosition } from '../../findings.ts';
import { addressesOf, type DnsResult } from '../../net/dns-query.ts';
import { describeResult, type LiveQuerier } from '../../net/live-querier.ts';
import type { LoadedCorefile } from '../corefile/corefile-roles.ts';
import { blockZones } from '../corefile/corefile-roles.ts';
import { type ForwardConfig, forwardsOf, targetAddress } from '../corefile/forward-config.ts';
import type { NameTrace } from '../trace/trace.ts';

export interface LiveQuestion {
  name: string;
  type: RecordType;
}

export interface LiveTargetQuery extends LiveQuestion {
  udp: DnsResult;
  tcp: DnsResult;
}

export interface LiveTarget {
  target: string;
  corefile: string;
  forward: string;
  position: SourcePosition;
  peers: string[];
  queries: LiveTargetQuery[];
  verdict: 'ok' | 'silent' | 'refused' | 'servfail' | 'one-transport' | 'slow';
}

/** A forward statement with its zone, ready to probe. */
export interface ProbedForward {
  loaded: LoadedCorefile;
  forward: ForwardConfig;
  /** The zone whose queries reach this forward (the block's zone when `from` is `.`). */
  zone: string;
}

const maxNamesPerForward = 8;
export const slowAnswerMs = 1000;

export function probedForwards(corefiles: readonly LoadedCorefile[]): ProbedForward[] {
  return corefiles.flatMap((loaded) =>
    loaded.corefile.blocks.flatMap((block) =>
      forwardsOf(block).map((forward) => {
        const blockZone = blockZones(block).sort((a, b) => b.length - a.length)[0] ?? '.';
        return { loaded, forward, zone: forward.from === '.' ? blockZone : forward.from };
      }),
    ),
  );
}

/**
 * The names to ask a forward's targets: the traced queries that reach it, else the zone apex
 * with `www.` and `api.` under it, else (for the catch-all) `. NS`, CoreDNS's own health probe.
 */
export function questionsFor(probe: ProbedForward, traces: readonly NameTrace[]): LiveQuestion[] {
  const position = probe.forward.directive.position;
  const traced = traces.flatMap((t) =>
    t.queries.flatMap((q) =>
      q.hops
        .filter((h) => samePosition(h.pluginPosition, position))
        .map((h) => ({ name: h.name, type: q.type })),
    ),
  );
  const unique = dedupe(traced);
  if (unique.length > 0) return unique.slice(0, maxNamesPerForward);
  return zoneQuestions(probe.zone);
}

export function zoneQuestions(zone: string): LiveQuestion[] {
  if (zone === '.') return [{ name: '.', type: 'NS' }];
  return [zone, `www.${zone}`, `api.${zone}`].map((name) => ({ name, type: 'A' as const }));
}

/** Asks every forward target its questions over UDP and TCP and judges each target. */
export async function probeTargets(
  forwards: readonly ProbedForward[],
  traces: readonly NameTrace[],
  querier: LiveQuerier,
): Promise<{ targets: LiveTarget[]; findings: Finding[] }> {
  const targets: LiveTarget[] = [];
  const findings: Finding[] = [];
  // Every forward at once (the querier bounds concurrency), so silent targets cost one timeout, not one each.
  const perForward = await Promise.all(
    forwards.map(async (probe) => {
      const questions = questionsFor(probe, traces);
      const addresses = probe.forward.targets.flatMap((t) =>
        t.kind === 'address' && t.transport === 'dns' ? [t] : [],
      );
      const results = await Promise.all(
        addresses.map(async (t): Promise<LiveTarget> => {
          const queries = await Promise.all(
            questions.map(async (q) => {
              const [udp, tcp] = await Promise.all([
                querier.ask(t.host, t.port, q.name, q.type, 'udp'),
                querier.ask(t.host, t.port, q.name, q.type, 'tcp'),
              ]);
              return { ...q, udp, tcp };
            }),
          );
          return {
            target: targetAddress(t) ?? t.text,
            corefile: probe.loaded.corefile.label,
            forward: `forward ${probe.forward.from}`,
            position: probe.forward.directive.position,
            peers: [],
            queries,
            verdict: judge(queries),
          };
        }),
      );
      for (const target of results) {
        target.peers = results.filter((r) => r !== target).map((r) => r.target);
      }
      return { probe, results };
    }),
  );
  for (const { probe, results } of perForward) {
    targets.push(...results);
    findings.push(...results.flatMap((t) => targetFindings(t, probe)));
    findings.push(...disagreements(results, probe));
  }
  return { targets, findings };
}

function judge(queries: readonly LiveTargetQuery[]): LiveTarget['verdict'] {
  const answered = (r: DnsResult) => r.status === 'answered';
  const udpUp = queries.some((q) => answered(q.udp));
  const tcpUp = queries.some((q) => answered(q.tcp));
  if (!udpUp && !tcpUp) return 'silent';
  const all = queries.flatMap((q) => [q.udp, q.tcp]).filter(answered);
  if (all.every((r) => r.rcode === 'REFUSED')) return 'refused';
  if (all.some((r) => r.rcode === 'SERVFAIL')) return 'servfail';
  if (!udpUp || !tcpUp) return 'one-transport';
  if (all.some((r) => r.latencyMs > slowAnswerMs)) return 'slow';
  return 'ok';
}

function targetFindings(target: LiveTarget, probe: ProbedForward): Finding[] {
  const names = target.queries.map((q) => `${q.name} ${q.type}`).join(', ');
  const where = `${target.forward} in ${probe.zone}`;
  const at = target.position;
  switch (target.verdict) {
    case 'silent': {
      const why = target.queries[0]?.tcp.error ? ` (TCP: ${target.queries[0].tcp.error})` : '';
      return [
        finding(
          'live-target-silent',
          `${target.target} (${where}) did not answer over UDP or TCP${why}; asked ${names}`,
          at,
        ),
      ];
    }
    case 'refused':
      return [
        finding(
          'live-target-refused',
          `${target.target} (${where}) answered REFUSED to ${names}`,
          at,
        ),
      ];
    case 'servfail':
      return [
        finding(
          'live-target-servfail',
          `${target.target} (${where}) answered SERVFAIL to ${names}`,
          at,
        ),
      ];
    case 'one-transport': {
      const udpUp = target.queries.some((q) => q.udp.status === 'answered');
      const needed = udpUp && probe.forward.forceTcp ? ', and this forward uses force_tcp' : '';
      return [
        finding(
          'live-transport-silent',
          `${target.target} (${where}) answers over ${udpUp ? 'UDP' : 'TCP'} but not over ${udpUp ? 'TCP' : 'UDP'}${needed}`,
          at,
        ),
      ];
    }
    case 'slow': {
      const worst = Math.max(...target.queries.flatMap((q) => [q.udp.latencyMs, q.tcp.latencyMs]));
      return [
        finding('live-target-slow', `${target.target} (${where}) took ${worst} ms to answer`, at),
      ];
    }
    default:
      return [];
  }
}

/** Targets of one forward are load-balanced, so a name must get the same answer from each. */
function disagreements(targets: readonly LiveTarget[], probe: ProbedForward): Finding[] {
  const findings: Finding[] = [];
  const questions = targets[0]?.queries ?? [];
  for (const [index, question] of questions.entries()) {
    const views = targets
      .map((t) => ({ target: t.target, result: bestOf(t.queries[index]) }))
      .filter((v): v is { target: string; result: DnsResult } => v.result !== undefined);
    const signatures = new Set(views.map((v) => signature(v.result)));
    if (signatures.size < 2) continue;
    const detail = views.map((v) => `${v.target}: ${describeResult(v.result)}`).join('; ');
    findings.push(
      finding(
        'live-targets-disagree',
        `targets of forward ${probe.forward.from} in ${probe.zone} disagree on ${question.name} ${question.type}: ${detail}`,
        probe.forward.directive.position,
      ),
    );
  }
  return findings;
}

function bestOf(query: LiveTargetQuery | undefined): DnsResult | undefined {
  if (!query) return undefined;
  if (query.udp.status === 'answered') return query.udp;
  return query.tcp.status === 'answered' ? query.tcp : undefined;
}

export function signature(result: DnsResult): string {
  return `${result.rcode}|${addressesOf(result).join(',')}`;
}

function samePosition(a: SourcePosition | undefined, b: SourcePosition): boolean {
  return a !== undefined && a.file === b.file && a.line === b.line && a.column === b.column;
}

function dedupe(questions: readonly LiveQuestion[]): LiveQuestion[] {
  const seen = new Set<string>();
  return questions.filter((q) => {
    const key = `${q.name}|${q.type}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
