import { BallastError } from '../errors/ballast-error.ts';
import {
  chartVersionFields,
  indexFields,
  skipReason,
  usableDigest,
} from './chart-version-rules.ts';
import { type IndexFormat, loadIndexDocument } from './index-document.ts';
import type { IndexRepair } from './index-repairs.ts';
import {
  type Context,
  FieldError,
  isMapping,
  isNull,
  NeedsNumberText,
  normalizeObject,
  type Raw,
} from './index-values.ts';

export interface ChartVersion {
  name: string;
  version: string;
  urls: string[];
  digest?: string;
  [field: string]: unknown;
}

export interface HelmIndex {
  apiVersion: string;
  generated?: string;
  entries: Record<string, ChartVersion[]>;
  publicKeys?: string[];
  annotations?: Record<string, string>;
  serverInfo?: unknown;
}

export interface SkippedEntry {
  chart: string;
  version: string;
  reason: string;
}

export interface ParsedIndex {
  index: HelmIndex;
  format: IndexFormat;
  /** Entries Helm would skip; the caller logs them. */
  skipped: SkippedEntry[];
  /** Entries Helm would keep that Ballast leaves out: no usable digest, with `unverified: skip`. */
  dropped: SkippedEntry[];
  /** What Ballast changed so that Helm reads the entry as the upstream meant it. */
  repairs: IndexRepair[];
  /** Entries kept without a digest Ballast can verify against (`unverified: pin`). */
  unverified: { chart: string; version: string }[];
  versions: number;
}

export interface ParseOptions {
  /** Entries without a usable digest: kept to be pinned on first fetch, or dropped. */
  unverified?: 'pin' | 'skip';
}

/**
 * Error messages may reach clients, and an index that fails to parse has not been verified:
 * they name Helm's own field names and positions (`entries.<chart 3>[1]`, `<key 7>`), line
 * and column, never a key or value of the document itself.
 *
 * Parses an upstream index.yaml the way Helm does: JSON leniently, YAML strictly (unknown
 * fields and duplicate keys reject the whole index), field names matched regardless of case
 * (Helm's `encoding/json` does), entries Helm would skip dropped and reported. YAML scalars
 * stay text, as Helm reads them into string fields; a number where text belongs is kept as
 * written and reported as a repair.
 */
export function parseIndex(data: Buffer, source: string, options: ParseOptions = {}): ParsedIndex {
  const invalid = (reason: string) => new BallastError('BALLAST_INDEX_INVALID', { source, reason });
  if (data.length === 0) throw invalid('the file is empty');
  const text = data.toString('utf8').replace(/^\uFEFF/, '');
  let numberText = false;
  for (;;) {
    const { raw, format } = load(text, source, numberText, invalid);
    const context: Context = {
      strict: format === 'yaml',
      format,
      budget: Math.max(10_000, text.length),
      repairs: [],
    };
    try {
      return { ...normalizeIndex(raw, context, options.unverified ?? 'skip'), format };
    } catch (error) {
      // JSON numbers lose their text when parsed; the rare index that needs it is read again.
      if (error instanceof NeedsNumberText && !numberText) {
        numberText = true;
        continue;
      }
      if (error instanceof FieldError) throw invalid(error.message);
      if (error instanceof RangeError) throw invalid('the document is nested too deeply');
      throw error;
    }
  }
}

function load(
  text: string,
  source: string,
  numberText: boolean,
  invalid: (reason: string) => BallastError,
): { raw: Raw; format: IndexFormat } {
  try {
    return loadIndexDocument(text, source, { numberText });
  } catch (error) {
    throw invalid(
      error instanceof RangeError ? 'the document is nested too deeply' : yamlProblem(error),
    );
  }
}

/** js-yaml's reason and position, without the snippet and the names it quotes. */
function yamlProblem(error: unknown): string {
  const { reason, mark } = error as { reason?: unknown; mark?: { line: number; column: number } };
  const what =
    typeof reason === 'string'
      ? reason.replace(/"[^"]*"|'[^']*'|!<[^>]*>|!\S*/g, '…').slice(0, 120)
      : 'syntax error';
  const where = mark ? ` at line ${mark.line + 1}, column ${mark.column + 1}` : '';
  return `not valid YAML: ${what}${where}`;
}

function normalizeIndex(
  raw: Raw,
  context: Context,
  unverifiedPolicy: 'pin' | 'skip',
): Omit<ParsedIndex, 'format'> {
  if (!isMapping(raw)) throw new FieldError('expected a mapping at the top level');
  const index = normalizeObject(raw, indexFields, '', context);
  if (typeof index.apiVersion !== 'string' || index.apiVersion === '') {
    throw new FieldError('no API version specified');
  }
  const repairs: IndexRepair[] = context.repairs.map((r) => ({ chart: '', version: '', ...r }));
  const result = { skipped: [], dropped: [], repairs, unverified: [] } as Pick<
    ParsedIndex,
    'skipped' | 'dropped' | 'repairs' | 'unverified'
  >;
  const entries: Record<string, ChartVersion[]> = Object.create(null);
  let versions = 0;
  const rawEntries = index.entries ?? {};
  if (!isMapping(rawEntries)) throw new FieldError('entries: expected a mapping of chart names');
  for (const [position, [chart, list]] of Object.entries(rawEntries).entries()) {
    if (isNull(list)) continue;
    const chartPath = `entries.<chart ${position + 1}>`;
    if (!Array.isArray(list))
      throw new FieldError(`${chartPath}: expected a list of chart versions`);
    const kept: ChartVersion[] = [];
    for (const [i, item] of list.entries()) {
      if (isNull(item)) {
        result.skipped.push({ chart, version: '', reason: 'empty entry' });
        continue;
      }
      context.repairs = [];
      const entry = normalizeObject(item, chartVersionFields, `${chartPath}[${i}]`, context);
      if (admit(entry, chart, result, unverifiedPolicy, context)) kept.push(entry as ChartVersion);
    }
    if (kept.length > 0) {
      entries[chart] = kept;
      versions += kept.length;
    }
  }
  return { index: { ...(index as unknown as HelmIndex), entries }, versions, ...result };
}

/** Whether an entry is served; says why not, and what was repaired, in `result`. */
function admit(
  entry: Record<string, unknown>,
  chart: string,
  result: Pick<ParsedIndex, 'skipped' | 'dropped' | 'repairs' | 'unverified'>,
  unverifiedPolicy: 'pin' | 'skip',
  context: Context,
): boolean {
  if (entry.apiVersion === undefined || entry.apiVersion === '') entry.apiVersion = 'v1';
  const version = String(entry.version ?? '');
  const helmSkips = skipReason(entry);
  if (helmSkips) {
    result.skipped.push({ chart, version, reason: helmSkips });
    return false;
  }
  // Helm lists an entry without a chart URL (and fails to pull it); so does Ballast.
  if (!Array.isArray(entry.urls)) entry.urls = [];
  const digest = usableDigest(entry.digest);
  if (digest === undefined) {
    if (unverifiedPolicy === 'skip') {
      const reason = entry.digest ? 'digest is not 64 hex characters' : 'no digest';
      result.dropped.push({ chart, version, reason });
      return false;
    }
    delete entry.digest;
    result.unverified.push({ chart, version });
  } else {
    if (String(entry.digest).startsWith('sha256:')) {
      context.repairs.push({ kind: 'digest-prefix', detail: 'digest: sha256: prefix removed' });
    }
    entry.digest = digest;
  }
  for (const repair of context.repairs) result.repairs.push({ chart, version, ...repair });
  return true;
}
