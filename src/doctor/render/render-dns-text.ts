import { roleName } from '../dns/corefile/corefile-roles.ts';
import type { DnsReport } from '../dns/doctor-dns.ts';
import type { LiveTarget } from '../dns/live/live-probe.ts';
import type { NameTrace, TraceHop, TraceQuery } from '../dns/trace/trace.ts';
import type { LookupEnd } from '../dns/trace/trace-outcome.ts';
import { formatPosition } from '../findings.ts';
import { describeResult } from '../net/live-querier.ts';
import { renderFindings, summaryLine, type TextStyle, table } from './text-style.ts';

/** The report for people: the findings first, then inputs, traces and live results. */
export function renderDnsText(report: DnsReport, style: TextStyle): string {
  const lines: string[] = [style.bold(`ballast doctor dns: ${summaryLine(report.findings)}`), ''];
  lines.push(...renderFindings(report.findings, style), '');
  lines.push(style.bold('Inputs'));
  lines.push(
    ...table(
      report.inputs.map((input) => [
        input.kind,
        input.label,
        input.role ? roleName(input.role) : '',
        input.serverBlocks === undefined
          ? ''
          : `${input.serverBlocks} server block${input.serverBlocks === 1 ? '' : 's'}`,
        input.importedBy
          ? `imported by ${input.importedBy.join(', ') || 'no Corefile given'}`
          : input.imported && input.imported.length > 0
            ? `imports ${input.imported.join(', ')}`
            : '',
      ]),
    ),
  );
  lines.push(`  cluster domain ${report.clusterDomain}`);
  lines.push(`  judged against CoreDNS ${report.coredns.version} (${report.coredns.from})`, '');
  for (const trace of report.traces) lines.push(...renderTrace(trace, style), '');
  if (report.live) {
    lines.push(style.bold(`Live (${report.live.queriesSent} queries sent)`));
    lines.push(...renderTargets(report.live.targets, style));
    if (report.live.shadowing.length > 0) {
      lines.push('', style.bold('Stub zones against the catch-all forward'));
      for (const c of report.live.shadowing) {
        const verdict = c.shadows
          ? style.bad('SHADOWS')
          : c.comparable
            ? style.good('same')
            : style.dim('not compared: the catch-all gave no address');
        lines.push(`  ${c.zone} ${c.name}: ${verdict}`);
        lines.push(`    stub:      ${c.stub.map((s) => `${s.target} ${s.answer}`).join('; ')}`);
        lines.push(`    catch-all: ${c.catchAll.map((s) => `${s.target} ${s.answer}`).join('; ')}`);
      }
    }
    lines.push('');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

function renderTrace(trace: NameTrace, style: TextStyle): string[] {
  const lines = [
    style.bold(`Trace ${trace.input}`) +
      style.dim(`  (nameserver ${trace.nameserver}, ndots ${trace.ndots}, ${trace.resolvConf})`),
  ];
  lines.push(
    `  glibc asks ${trace.glibc.length} name${trace.glibc.length === 1 ? '' : 's'} × A/AAAA: ${trace.glibc.join(' ')}`,
  );
  const sameOrder = trace.musl.join(' ') === trace.glibc.join(' ');
  lines.push(
    `  musl  asks ${trace.musl.length} name${trace.musl.length === 1 ? '' : 's'} × A/AAAA: ${sameOrder ? '(the same, in the same order)' : trace.musl.join(' ')}`,
  );
  lines.push(
    style.dim('  glibc moves on after NXDOMAIN, NODATA and SERVFAIL; musl only after NXDOMAIN.'),
  );
  for (const end of trace.ends ?? []) lines.push(`  ${endText(end)}`);
  for (const note of trace.notes) lines.push(style.dim(`  ${note}`));
  const names = [...new Set(trace.queries.map((q) => q.name))];
  names.forEach((name, index) => {
    const a = trace.queries.find((q) => q.name === name && q.type === 'A');
    const aaaa = trace.queries.find((q) => q.name === name && q.type === 'AAAA');
    if (!a) return;
    const how = a.search ? `search ${a.search}` : 'as given';
    lines.push(`  ${index + 1}. ${style.bold(name)} ${style.dim(`(${how})`)}`);
    const sameRoute = aaaa && routeText(a) === routeText(aaaa);
    lines.push(
      ...renderHops(a, sameRoute ? 'A/AAAA' : 'A', style, aaaa && sameRoute ? aaaa : undefined),
    );
    if (aaaa && !sameRoute) lines.push(...renderHops(aaaa, 'AAAA', style));
  });
  return lines;
}

function endText(end: LookupEnd): string {
  const libc = end.libc.padEnd(5);
  if (end.endsAt === null) {
    return `${libc} tries every name and fails (NXDOMAIN) after ${end.queries} queries`;
  }
  if (end.outcome === 'unknown') {
    return `${libc} asks up to ${end.endsAt} (${end.queries} queries); what that name gets is not known without --live`;
  }
  const how =
    end.outcome === 'answer'
      ? 'gets its answer at'
      : `gives up at ${end.outcome.toUpperCase()} for`;
  const guess = end.certain ? '' : ' (partly judged from the Corefiles)';
  return `${libc} ${how} ${end.endsAt} after ${end.queries} queries${guess}`;
}

function routeText(query: TraceQuery): string {
  return query.hops.map((h) => `${h.server}|${h.detail}`).join('>');
}

function renderHops(
  query: TraceQuery,
  types: string,
  style: TextStyle,
  twin?: TraceQuery,
): string[] {
  if (query.hops.length === 0) return [`     ${types}: no Corefile given serves this query`];
  return query.hops.flatMap((hop, i) => {
    const block = hop.block
      ? ` block ${hop.block}${hop.blockPosition ? ` (${formatPosition(hop.blockPosition)})` : ''}`
      : '';
    const lines = [`     ${i === 0 ? types.padEnd(6) : ''.padEnd(6)} → ${hop.server}${block}`];
    for (const note of hop.notes) lines.push(`              ${style.dim(note)}`);
    lines.push(`              ${outcomeStyle(hop, style)(hop.detail)}${targetsNote(hop)}`);
    lines.push(...liveLines(hop, query.type, style));
    const twinHop = twin?.hops[i];
    if (twinHop) lines.push(...liveLines(twinHop, twin.type, style));
    return lines;
  });
}

function targetsNote(hop: TraceHop): string {
  const next = hop.targets?.find((t) => t.corefile)?.corefile;
  return next ? ` → next hop: ${next}` : '';
}

function liveLines(hop: TraceHop, type: string, style: TextStyle): string[] {
  return (hop.live ?? []).map((answer) => {
    const text = `${describeResult(answer.result)} (${answer.result.latencyMs} ms)`;
    const ok =
      answer.result.status === 'answered' &&
      answer.result.rcode !== 'SERVFAIL' &&
      answer.result.rcode !== 'REFUSED';
    return `              live ${type.padEnd(4)} ${answer.target} ${answer.transport}: ${ok ? text : style.bad(text)}`;
  });
}

function outcomeStyle(hop: TraceHop, style: TextStyle): (text: string) => string {
  if (hop.outcome === 'servfail' || hop.outcome === 'refused' || hop.outcome === 'loop')
    return style.bad;
  if (hop.outcome === 'answer' || hop.outcome === 'maybe') return style.good;
  return (text) => text;
}

function renderTargets(targets: readonly LiveTarget[], style: TextStyle): string[] {
  if (targets.length === 0)
    return ['  no forward target to ask (only addresses are asked, not files or placeholders)'];
  const rows = [['target', 'forward', 'at', 'verdict', 'first answer (udp / tcp)']];
  for (const t of targets) {
    const first = t.queries[0];
    const answer = first
      ? `${first.name} ${first.type}: ${describeResult(first.udp)} / ${describeResult(first.tcp)}`
      : '';
    const verdict = t.verdict === 'ok' ? style.good('ok') : style.bad(t.verdict);
    rows.push([t.target, t.forward, formatPosition(t.position), verdict, answer]);
  }
  return table(rows);
}
