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
 * differences (docs/index-compatibility.md), each as the doctor predicts it: Helm fails on the
 * upstream's index (a number where text belongs; Helm 3 on a null entry) and reads Ballast's
 * repaired one; Ballast's guard refuses an index that lists nothing. Every verdict first
 * checks that the doctor predicted what the real Helms showed.
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
  // Helm fails on the upstream and reads Ballast, where the doctor said Helm would fail.
  const repaired = Object.values(comparisons).every(
    (c) => c.kind === 'same' || (c.kind === 'ballast-reads-refused' && !doctor.ballast.refused),
  );
  if (repaired) {
    const reasons = [doctor.helm3.refused, doctor.helm4.refused].filter(Boolean);
    return { kind: 'documented', reason: `Ballast serves what Helm refuses: ${reasons[0]}` };
  }
  const empty = doctor.findings.some((f) => f.rule === 'index-empty');
  const nothingListed = Object.values(comparisons).every(
    (c) => (c.kind === 'same' || c.kind === 'ballast-refuses') && c.rows === 0,
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
