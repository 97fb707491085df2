import { performance } from 'node:perf_hooks';
import { isBallastError } from '../../errors/ballast-error.ts';
import { type ParsedIndex, parseIndex } from '../../helm/index-parse.ts';
import { type Finding, finding, sortFindings } from '../findings.ts';
import type { RuleId } from '../rule-catalogue.ts';
import { entryLines } from './entry-lines.ts';
import { readIndexSource } from './index-source.ts';

export type HelmView = 'shown' | 'skipped' | 'refused';
export type BallastView = 'served' | 'repaired' | 'pinned' | 'skipped' | 'dropped' | 'refused';

/** An entry worth a word: one that some reader skips, or that Ballast changes or pins. */
export interface IndexEntryNote {
  chart: string;
  version: string;
  line?: number;
  helm3: HelmView;
  helm4: HelmView;
  ballast: BallastView;
  reason: string;
}

export interface ReaderSummary {
  /** Why the whole index is refused; the reader then shows nothing. */
  refused?: string;
  versions: number;
}

export interface IndexReport {
  source: string;
  format?: 'json' | 'yaml';
  bytes: number;
  parseMs: number;
  helm3: ReaderSummary;
  helm4: ReaderSummary;
  ballast: ReaderSummary & { repaired: number; pinned: number; dropped: number };
  entries: IndexEntryNote[];
  findings: Finding[];
}

export interface DoctorIndexOptions {
  /** An http(s) repository or index URL, or a file. */
  target: string;
  timeoutMs: number;
  /** The repository's `unverified` setting: entries without a digest pinned or skipped. */
  unverified?: 'pin' | 'skip';
}

/**
 * Reads an index as Helm 3, Helm 4 and Ballast would, and says where they part: what each
 * shows, skips or refuses and why, what Ballast repairs or pins, with the entry's line.
 */
export async function runDoctorIndex(
  options: DoctorIndexOptions,
  context: { cwd: string },
): Promise<IndexReport> {
  const { source, data } = await readIndexSource(options.target, {
    cwd: context.cwd,
    timeoutMs: options.timeoutMs,
  });
  return analyseIndex(source, data, options.unverified ?? 'pin');
}

export function analyseIndex(
  source: string,
  data: Buffer,
  unverified: 'pin' | 'skip' = 'pin',
): IndexReport {
  const started = performance.now();
  let parsed: ParsedIndex;
  try {
    parsed = parseIndex(data, source, { unverified });
  } catch (error) {
    if (!isBallastError(error, 'BALLAST_INDEX_INVALID')) throw error;
    const reason = String(error.details.reason);
    const refused = { refused: reason, versions: 0 };
    return {
      source,
      bytes: data.length,
      parseMs: elapsed(started),
      helm3: refused,
      helm4: refused,
      ballast: { ...refused, repaired: 0, pinned: 0, dropped: 0 },
      entries: [],
      findings: [finding('index-refused', `${source}: ${reason}`)],
    };
  }
  const parseMs = elapsed(started);
  return { source, bytes: data.length, parseMs, ...compare(parsed, source, data) };
}

type Note = IndexEntryNote & { rule: RuleId };

/** Why each Helm refuses the whole index, if it does. */
function helmRefusals(parsed: ParsedIndex) {
  const numbers = parsed.repairs.filter((r) => r.kind === 'number-as-text');
  const both = numbers[0]
    ? `cannot read ${numbers[0].detail} as text (${numbers.length} such value${numbers.length === 1 ? '' : 's'})`
    : undefined;
  // Helm 3 keeps a null entry and `helm search` then dies on it; Helm 4 drops it.
  const nullEntry = parsed.skipped.find((s) => s.reason === 'empty entry');
  const helm3 =
    both ?? (nullEntry && `a null entry under ${nullEntry.chart} makes helm search crash`);
  return { numbers, helm3, helm4: both };
}

/** Every entry that some reader skips, or that Ballast drops, pins or repairs. */
function entryNotes(parsed: ParsedIndex, refusals: ReturnType<typeof helmRefusals>): Note[] {
  const helm3: HelmView = refusals.helm3 ? 'refused' : 'shown';
  const helm4: HelmView = refusals.helm4 ? 'refused' : 'shown';
  const notes: Note[] = [];
  for (const { chart, version, reason } of parsed.skipped) {
    // Helm 3 accepts the names `.` and `..`; Helm 4 (and Ballast) do not.
    const dotName = /^name "\.\.?" is not allowed$/.test(reason);
    notes.push({
      rule: dotName ? 'index-entry-helm-differs' : 'index-entry-skipped',
      ...{ chart, version, reason },
      helm3: helm3 === 'refused' ? helm3 : dotName ? 'shown' : 'skipped',
      helm4: helm4 === 'refused' ? helm4 : 'skipped',
      ballast: 'skipped',
    });
  }
  for (const { chart, version, reason } of parsed.dropped) {
    notes.push({
      rule: 'index-entry-dropped',
      chart,
      version,
      reason,
      helm3,
      helm4,
      ballast: 'dropped',
    });
  }
  for (const { chart, version } of parsed.unverified) {
    const reason = 'no usable digest: the sha256 of the first download is pinned';
    notes.push({
      rule: 'index-entry-unverified',
      chart,
      version,
      reason,
      helm3,
      helm4,
      ballast: 'pinned',
    });
  }
  for (const { chart, version, kind, detail } of parsed.repairs) {
    if (kind === 'number-as-text') continue;
    notes.push({
      rule: 'index-entry-repaired',
      ...{ chart, version, reason: detail, helm3, helm4 },
      ballast: 'repaired',
    });
  }
  return notes;
}

function compare(parsed: ParsedIndex, source: string, data: Buffer) {
  const refusals = helmRefusals(parsed);
  const notes = entryNotes(parsed, refusals);
  const lines = entryLines(data.toString('utf8'), notes);
  const entries = notes.map(({ rule: _rule, ...entry }, i) => {
    const line = lines[i];
    return line === undefined ? entry : { ...entry, line };
  });
  const findings = notes.map((n, i) =>
    finding(n.rule, `${n.chart} ${n.version}: ${n.reason}`, position(source, lines[i])),
  );
  for (const repair of refusals.numbers) {
    findings.push(
      finding(
        'index-helm-refuses',
        `${repair.chart} ${repair.version}: ${repair.detail} is a number; Helm refuses the whole index, Ballast serves the text`,
      ),
    );
  }
  if (parsed.versions === 0) {
    findings.push(finding('index-empty', `${source}: no entry Ballast can serve`));
  }
  // Helm lists a chart's version once however often the index repeats it.
  const listed = new Set(
    Object.entries(parsed.index.entries).flatMap(([chart, list]) =>
      list.map((e) => `${chart}\n${e.version}`),
    ),
  );
  for (const { chart, version } of parsed.dropped) listed.add(`${chart}\n${version}`);
  const helm4Versions = listed.size;
  for (const n of notes)
    if (n.helm3 === 'shown' && n.ballast === 'skipped') listed.add(`${n.chart}\n${n.version}`);
  return {
    format: parsed.format,
    helm3: summary(refusals.helm3, listed.size),
    helm4: summary(refusals.helm4, helm4Versions),
    ballast: {
      ...(parsed.versions === 0 ? { refused: 'the index guard refuses an empty index' } : {}),
      versions: parsed.versions,
      repaired: new Set(parsed.repairs.map((r) => `${r.chart}\n${r.version}`)).size,
      pinned: parsed.unverified.length,
      dropped: parsed.dropped.length,
    },
    entries,
    findings: sortFindings(findings),
  };
}

function summary(refused: string | undefined, versions: number): ReaderSummary {
  return refused ? { refused, versions: 0 } : { versions };
}

function position(file: string, line: number | undefined) {
  return line === undefined ? undefined : { file, line, column: 1 };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}
