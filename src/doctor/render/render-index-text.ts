import type { Finding } from '../findings.ts';
import type { IndexReport, ReaderSummary } from '../index/doctor-index.ts';
import { renderFindings, summaryLine, type TextStyle, table } from './text-style.ts';

/** Findings of one rule past this many are counted, not listed; `--json` has them all. */
const perRule = 10;

/** What each reader makes of the index, side by side, then the findings (long runs cut). */
export function renderIndexText(report: IndexReport, style: TextStyle): string {
  const size = `${report.bytes} bytes${report.format ? ` of ${report.format.toUpperCase()}` : ''}`;
  const lines: string[] = [
    style.bold(`ballast doctor index ${report.source}: ${summaryLine(report.findings)}`),
    `  ${size}, parsed in ${report.parseMs} ms`,
    '',
    ...table([
      ['Helm 3', reader(report.helm3, style)],
      ['Helm 4', reader(report.helm4, style)],
      ['Ballast', `${reader(report.ballast, style)}${ballastDetails(report.ballast)}`],
    ]),
    '',
  ];
  lines.push(...renderFindings(shortened(report.findings), style));
  const hidden = report.findings.length - shortened(report.findings).length;
  if (hidden > 0) lines.push('', style.dim(`… and ${hidden} more like these (--json lists all)`));
  return `${lines.join('\n').trimEnd()}\n`;
}

function reader(summary: ReaderSummary, style: TextStyle): string {
  if (summary.refused) return style.bad(`refuses the index: ${summary.refused}`);
  return `shows ${summary.versions} version${summary.versions === 1 ? '' : 's'}`;
}

function ballastDetails(ballast: IndexReport['ballast']): string {
  const parts = [
    ballast.repaired > 0 ? `${ballast.repaired} repaired` : '',
    ballast.pinned > 0 ? `${ballast.pinned} to pin on first download` : '',
    ballast.dropped > 0 ? `${ballast.dropped} dropped` : '',
  ].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
}

function shortened(findings: readonly Finding[]): Finding[] {
  const seen = new Map<string, number>();
  return findings.filter((f) => {
    const count = (seen.get(f.rule) ?? 0) + 1;
    seen.set(f.rule, count);
    return count <= perRule;
  });
}
