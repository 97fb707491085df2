import yaml from 'js-yaml';
import { BallastError } from '../errors/ballast-error.ts';
import {
  chartVersionFields,
  dependencyFields,
  type FieldKind,
  indexFields,
  maintainerFields,
  skipReason,
  yamlBooleans,
} from './chart-version-rules.ts';

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
  /** Entries Helm would skip; the caller logs them. */
  skipped: SkippedEntry[];
  versions: number;
}

type Raw = unknown;

interface Context {
  /** YAML is strict in Helm (unknown fields fail the index); JSON is lenient. */
  strict: boolean;
  /** Values left to visit; YAML aliases can make a small document expand without bound. */
  budget: number;
}

/**
 * Error messages may reach clients, and an index that fails to parse has not been verified:
 * they name Helm's own field names and positions (`entries.<chart 3>[1]`, `<key 7>`), line
 * and column, never a key or value of the document itself.
 *
 * Parses an upstream index.yaml the way Helm does: JSON leniently, YAML strictly (unknown
 * fields and duplicate keys reject the whole index), entries Helm would skip are dropped and
 * reported. YAML scalars stay strings, as Helm reads them into string fields.
 */
export function parseIndex(data: Buffer, source: string): ParsedIndex {
  const invalid = (reason: string) => new BallastError('BALLAST_INDEX_INVALID', { source, reason });
  if (data.length === 0) throw invalid('the file is empty');
  const text = data.toString('utf8').replace(/^\uFEFF/, '');
  const { raw, strict } = load(text, source, invalid);
  const context: Context = { strict, budget: Math.max(10_000, text.length) };
  try {
    return normalizeIndex(raw, context);
  } catch (error) {
    if (error instanceof FieldError) throw invalid(error.message);
    if (error instanceof RangeError) throw invalid('the document is nested too deeply');
    throw error;
  }
}

function load(
  text: string,
  source: string,
  invalid: (reason: string) => BallastError,
): { raw: Raw; strict: boolean } {
  if (text.trimStart().startsWith('{')) {
    try {
      return { raw: JSON.parse(text), strict: false };
    } catch {
      // Not JSON after all; YAML flow style also starts with `{`.
    }
  }
  try {
    return {
      raw: yaml.load(text, { schema: yaml.FAILSAFE_SCHEMA, filename: source }),
      strict: true,
    };
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

class FieldError extends Error {}

function normalizeIndex(raw: Raw, context: Context): ParsedIndex {
  if (!isMapping(raw)) throw new FieldError('expected a mapping at the top level');
  const index = normalizeObject(raw, indexFields, '', context);
  if (typeof index.apiVersion !== 'string' || index.apiVersion === '') {
    throw new FieldError('no API version specified');
  }
  const skipped: SkippedEntry[] = [];
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
    list.forEach((item, i) => {
      if (isNull(item)) return;
      const entry = normalizeObject(item, chartVersionFields, `${chartPath}[${i}]`, context);
      if (entry.apiVersion === undefined || entry.apiVersion === '') entry.apiVersion = 'v1';
      const reason = skipReason(entry);
      if (reason) {
        skipped.push({ chart, version: String(entry.version ?? ''), reason });
        return;
      }
      kept.push(entry as ChartVersion);
    });
    if (kept.length > 0) {
      entries[chart] = kept;
      versions += kept.length;
    }
  }
  return { index: { ...(index as unknown as HelmIndex), entries }, skipped, versions };
}

function normalizeObject(
  raw: Raw,
  fields: Readonly<Record<string, FieldKind | 'entries'>>,
  path: string,
  context: Context,
): Record<string, unknown> {
  if (!isMapping(raw)) throw new FieldError(`${path || 'document'}: expected a mapping`);
  const out: Record<string, unknown> = Object.create(null);
  for (const [position, [key, value]] of Object.entries(raw).entries()) {
    const kind = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (kind === undefined) {
      spend(context, path);
      if (context.strict)
        throw new FieldError(
          `${path ? `${path}.` : ''}<key ${position + 1}>: unknown field (Helm refuses the whole index)`,
        );
      continue;
    }
    const fieldPath = path ? `${path}.${key}` : key;
    spend(context, fieldPath);
    if (isNull(value)) continue;
    // Entries are walked one by one by the caller, so that bad ones can be skipped.
    out[key] = kind === 'entries' ? value : convert(value, kind, fieldPath, context);
  }
  return out;
}

function convert(value: Raw, kind: FieldKind, path: string, context: Context): unknown {
  switch (kind) {
    case 'string':
      if (typeof value !== 'string') throw new FieldError(`${path}: expected a string`);
      return value;
    case 'time':
      if (typeof value !== 'string' || Number.isNaN(Date.parse(value))) {
        throw new FieldError(`${path}: expected an RFC 3339 time`);
      }
      return value;
    case 'bool':
      return toBool(value, path);
    case 'strings':
      return list(value, path, context).map((item, i) =>
        convert(item, 'string', `${path}[${i}]`, context),
      );
    case 'stringMap': {
      if (!isMapping(value)) throw new FieldError(`${path}: expected a mapping of strings`);
      const out: Record<string, string> = Object.create(null);
      for (const [position, [key, item]] of Object.entries(value).entries()) {
        spend(context, path);
        out[key] =
          item === null
            ? ''
            : (convert(item, 'string', `${path}.<key ${position + 1}>`, context) as string);
      }
      return out;
    }
    case 'maintainers':
      return list(value, path, context).map((item, i) =>
        normalizeObject(item, maintainerFields, `${path}[${i}]`, context),
      );
    case 'dependencies':
      return list(value, path, context).map((item, i) =>
        normalizeObject(item, dependencyFields, `${path}[${i}]`, context),
      );
    case 'any':
      return copyAny(value, path, context);
  }
}

function list(value: Raw, path: string, context: Context): Raw[] {
  if (!Array.isArray(value)) throw new FieldError(`${path}: expected a list`);
  spend(context, path, value.length);
  return value;
}

function toBool(value: Raw, path: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && Object.hasOwn(yamlBooleans, value))
    return yamlBooleans[value] as boolean;
  throw new FieldError(`${path}: expected true or false`);
}

function copyAny(value: Raw, path: string, context: Context): unknown {
  spend(context, path);
  if (Array.isArray(value)) return value.map((item) => copyAny(item, path, context));
  if (isMapping(value)) {
    const out: Record<string, unknown> = Object.create(null);
    for (const [key, item] of Object.entries(value)) out[key] = copyAny(item, path, context);
    return out;
  }
  return value;
}

function spend(context: Context, path: string, amount = 1): void {
  context.budget -= amount;
  if (context.budget < 0) {
    throw new FieldError(`${path}: the document expands far beyond its size (YAML alias bomb?)`);
  }
}

/** The failsafe schema keeps `~` and `null` as text; Helm's YAML reads them as null. */
function isNull(value: Raw): boolean {
  return (
    value === null ||
    value === undefined ||
    value === '~' ||
    value === 'null' ||
    value === 'Null' ||
    value === 'NULL'
  );
}

function isMapping(value: Raw): value is Record<string, Raw> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
