import { ChartFormatError } from './chart-format-error.ts';
import {
  chartMetadataFields,
  dependencyFields,
  type FieldKind,
  maintainerFields,
  yamlBooleans,
} from './chart-version-rules.ts';

/**
 * Helm's chart metadata (chart.Metadata): what Chart.yaml holds and what Helm writes as the
 * JSON config blob of a chart pushed to a registry. Fields Helm does not know are dropped.
 */
export interface ChartMetadata {
  name: string;
  version: string;
  apiVersion?: string;
  [field: string]: unknown;
}

type Kind = FieldKind;

export interface MetadataParseOptions {
  /**
   * YAML read with the failsafe schema gives every scalar as a string (Helm's YAML reader
   * converts to the field's type); JSON must already carry the right types.
   */
  scalarsAsStrings: boolean;
  /** How many values may be visited: YAML aliases can make a small text expand hugely. */
  budget?: number;
}

const defaultBudget = 100_000;

/**
 * Normalises parsed chart metadata: known fields only, each of its type, empty values left
 * out as Helm's JSON leaves them out. Throws ChartFormatError when it is not chart metadata
 * (not an object, no name or version, a field of the wrong type).
 */
export function normalizeChartMetadata(raw: unknown, options: MetadataParseOptions): ChartMetadata {
  const state = { budget: options.budget ?? defaultBudget, lenient: options.scalarsAsStrings };
  if (!isObject(raw)) throw new ChartFormatError('chart metadata is not an object');
  const metadata = normalizeObject(raw, chartMetadataFields, '', state);
  for (const field of ['name', 'version'] as const) {
    if (typeof metadata[field] !== 'string' || metadata[field] === '')
      throw new ChartFormatError(`chart metadata has no ${field}`);
  }
  return metadata as ChartMetadata;
}

interface State {
  budget: number;
  lenient: boolean;
}

function normalizeObject(
  raw: Record<string, unknown>,
  fields: Readonly<Record<string, Kind>>,
  path: string,
  state: State,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    spend(state, path);
    const kind = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (kind === undefined || isNull(value, state)) continue;
    const converted = convert(value, kind, path ? `${path}.${key}` : key, state);
    if (!isEmpty(converted)) out[key] = converted;
  }
  return out;
}

function convert(value: unknown, kind: Kind, path: string, state: State): unknown {
  switch (kind) {
    case 'string':
    case 'time':
      if (typeof value === 'string') return value;
      throw new ChartFormatError(`${path} is not a string`);
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (state.lenient && typeof value === 'string' && Object.hasOwn(yamlBooleans, value))
        return yamlBooleans[value] as boolean;
      throw new ChartFormatError(`${path} is not true or false`);
    case 'strings':
      return list(value, path, state).map((item, i) =>
        convert(item, 'string', `${path}[${i}]`, state),
      );
    case 'stringMap': {
      if (!isObject(value)) throw new ChartFormatError(`${path} is not a mapping of strings`);
      const out: Record<string, string> = {};
      for (const [key, item] of Object.entries(value)) {
        spend(state, path);
        if (key === '__proto__') continue;
        out[key] = isNull(item, state)
          ? ''
          : (convert(item, 'string', `${path}.${key}`, state) as string);
      }
      return out;
    }
    case 'maintainers':
    case 'dependencies': {
      const fields = kind === 'maintainers' ? maintainerFields : dependencyFields;
      return list(value, path, state).flatMap((item, i) => {
        if (isNull(item, state)) return [];
        if (!isObject(item)) throw new ChartFormatError(`${path}[${i}] is not a mapping`);
        return [normalizeObject(item, fields, `${path}[${i}]`, state)];
      });
    }
    case 'any':
      return copy(value, path, state);
  }
}

function list(value: unknown, path: string, state: State): unknown[] {
  if (!Array.isArray(value)) throw new ChartFormatError(`${path} is not a list`);
  spend(state, path, value.length);
  return value;
}

function copy(value: unknown, path: string, state: State): unknown {
  spend(state, path);
  if (Array.isArray(value)) return value.map((item) => copy(item, path, state));
  if (isObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value))
      if (key !== '__proto__') out[key] = copy(item, path, state);
    return out;
  }
  return value;
}

function spend(state: State, path: string, amount = 1): void {
  state.budget -= amount;
  if (state.budget < 0)
    throw new ChartFormatError(`${path || 'metadata'}: expands far beyond its size (alias bomb?)`);
}

/** Go's `omitempty`: Helm's JSON leaves these out, so Ballast's does too. */
function isEmpty(value: unknown): boolean {
  if (value === '' || value === false) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (isObject(value)) return Object.keys(value).length === 0;
  return false;
}

function isNull(value: unknown, state: State): boolean {
  if (value === null || value === undefined) return true;
  return (
    state.lenient && (value === '~' || value === 'null' || value === 'Null' || value === 'NULL')
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
