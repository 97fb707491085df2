import type { HelmMajor } from '../test/support/helm.ts';
import type { Comparison, SearchOutcome } from './compat-rows.ts';

/** The part of `ballast doctor index --json` the comparison checks. */
export interface DoctorSummary {
  helm3: { versions: number; refused?: string };
  helm4: { versions: number; refused?: string };
  ballast: { versions: number; refused?: string };
  findings: { rule: string }[];
}

export interface Verdict {
  kind: 'equivalent' | 'documented' | 'different';
  reason?: string;
}

/**
 * Equivalent when both Helms list the same rows directly and through Ballast. Documented
 * differences (docs/index-compatibility.md), each as the doctor predicts it: Helm refuses an
 * index over a number where text belongs and Ballast serves the upstream's text; Ballast's
 * guard refuses an index that lists nothing. Every verdict also checks that the doctor
 * predicted what the real Helms showed.
 */
export function verdictOf(
  comparisons: Record<HelmMajor, Comparison>,
  direct: Record<HelmMajor, SearchOutcome>,
  doctor: DoctorSummary,
): Verdict {
  const wrong = doctorMistakes(direct, doctor);
  if (wrong.length > 0) return { kind: 'different', reason: `doctor: ${wrong.join('; ')}` };
  const kinds = new Set(Object.values(comparisons).map((c) => c.kind));
  if (kinds.size === 1 && kinds.has('same')) return { kind: 'equivalent' };
  const repaired = doctor.findings.some((f) => f.rule === 'index-helm-refuses');
  if (kinds.size === 1 && kinds.has('ballast-reads-refused') && repaired) {
    return {
      kind: 'documented',
      reason: 'Helm refuses a number where text belongs; Ballast serves the upstream text',
    };
  }
  const empty = doctor.findings.some((f) => f.rule === 'index-empty');
  const nothingListed = Object.values(comparisons).every(
    (c) => c.kind === 'ballast-refuses' && c.rows === 0,
  );
  if (empty && nothingListed) {
    return { kind: 'documented', reason: "Ballast's guard refuses an index that lists nothing" };
  }
  return { kind: 'different' };
}

/** Where the doctor's reading of Helm differs from what the real Helm listed. */
export function doctorMistakes(
  direct: Record<HelmMajor, SearchOutcome>,
  doctor: DoctorSummary,
): string[] {
  const mistakes: string[] = [];
  for (const major of [3, 4] as const) {
    const predicted = doctor[`helm${major}`];
    const actual = direct[major];
    const actualText = actual.ok ? `${actual.rows.length} rows` : 'refused';
    const predictedText = predicted.refused ? 'refused' : `${predicted.versions} rows`;
    if (actualText !== predictedText) {
      mistakes.push(`Helm ${major} showed ${actualText}, the doctor said ${predictedText}`);
    }
  }
  return mistakes;
}
