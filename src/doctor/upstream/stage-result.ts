import type { Finding } from '../findings.ts';

export type StageName = 'dns' | 'tcp' | 'tls' | 'http' | 'payload';

/** One stage of the check, as the prober runs it. */
export interface StageResult {
  stage: StageName;
  status: 'ok' | 'warn' | 'fail' | 'skipped';
  summary: string;
  details: string[];
  durationMs: number;
  /** What a failure here usually means, in words a person can act on. */
  meaning?: string;
  findings: Finding[];
}

export function skipped(stage: StageName, why: string): StageResult {
  return { stage, status: 'skipped', summary: why, details: [], durationMs: 0, findings: [] };
}

/** Times a stage and fills in its duration. */
export async function timed<T extends Omit<StageResult, 'durationMs'>>(
  run: () => Promise<T>,
): Promise<T & { durationMs: number }> {
  const started = performance.now();
  const result = await run();
  return { ...result, durationMs: Math.round(performance.now() - started) };
}

export function statusOf(findings: readonly Finding[]): 'ok' | 'warn' | 'fail' {
  if (findings.some((f) => f.severity === 'error')) return 'fail';
  if (findings.some((f) => f.severity === 'warning')) return 'warn';
  return 'ok';
}

/** Keeps only the fields of a StageResult (stages carry working data, such as bodies, between them). */
export function stripExtras(stage: StageResult): StageResult {
  const { stage: name, status, summary, details, durationMs, meaning, findings } = stage;
  return meaning
    ? { stage: name, status, summary, details, durationMs, meaning, findings }
    : { stage: name, status, summary, details, durationMs, findings };
}
