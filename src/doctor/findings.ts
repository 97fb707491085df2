import { type RuleId, ruleCatalogue } from './rule-catalogue.ts';

export type Severity = 'error' | 'warning' | 'info';

export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One problem the doctor found: what, where, and the one-line fix from the catalogue. */
export interface Finding {
  rule: RuleId;
  severity: Severity;
  message: string;
  fix: string;
  position?: SourcePosition;
}

export function finding(rule: RuleId, message: string, position?: SourcePosition): Finding {
  const entry = ruleCatalogue[rule];
  const result: Finding = { rule, severity: entry.severity, message, fix: entry.fix };
  if (position) result.position = position;
  return result;
}

const severityRank: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Most severe first, then by file and line, so the worst problem is what a person reads first. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank[a.severity] - severityRank[b.severity] ||
      (a.position?.file ?? '').localeCompare(b.position?.file ?? '') ||
      (a.position?.line ?? 0) - (b.position?.line ?? 0) ||
      a.rule.localeCompare(b.rule),
  );
}

/** Errors and warnings make the run "found problems"; notes do not. */
export function hasProblems(findings: readonly Finding[]): boolean {
  return findings.some((f) => f.severity !== 'info');
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { error: 0, warning: 0, info: 0 };
  for (const f of findings) counts[f.severity]++;
  return counts;
}

export function formatPosition(position: SourcePosition | undefined): string {
  return position ? `${position.file}:${position.line}:${position.column}` : '';
}

/** Drops repeats of the same rule at the same place (imports and snippets can repeat lines). */
export function dedupeFindings(findings: readonly Finding[]): Finding[] {
  const seen = new Set<string>();
  return findings.filter((f) => {
    const key = `${f.rule}|${formatPosition(f.position)}|${f.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
