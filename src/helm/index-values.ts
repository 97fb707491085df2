import {
  dependencyFields,
  type FieldKind,
  maintainerFields,
  yamlBooleans,
} from './chart-version-rules.ts';
import { type IndexFormat, NumberText } from './index-document.ts';
import { foldedFieldName, type RepairKind } from './index-repairs.ts';

/**
 * Reading an index's values by the kind of field Helm declares for them: text, lists, maps,
 * maintainers and dependencies, with field names matched regardless of case and a budget
 * against YAML alias bombs.
 */

export type Raw = unknown;

export interface Context {
  /** YAML is strict in Helm (unknown fields fail the index); JSON is lenient. */
  strict: boolean;
  format: IndexFormat;
  /** Values left to visit; YAML aliases can make a small document expand without bound. */
  budget: number;
  /** Repairs in the object being read; the caller stamps them with chart and version. */
  repairs: { kind: RepairKind; detail: string }[];
}

/** A JSON number where text belongs: the caller reads the JSON again, keeping source text. */
export class NeedsNumberText extends Error {}
/** The index does not have Helm's shape; the whole index is refused. */
export class FieldError extends Error {}

export function normalizeObject(
  raw: Raw,
  fields: Readonly<Record<string, FieldKind | 'entries'>>,
  path: string,
  context: Context,
): Record<string, unknown> {
  if (!isMapping(raw)) throw new FieldError(`${path || 'document'}: expected a mapping`);
  const out: Record<string, unknown> = Object.create(null);
  for (const [position, [key, value]] of Object.entries(raw).entries()) {
    let name = key;
    let kind = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (kind === undefined) {
      const canonical = foldedFieldName(fields, key);
      if (canonical === undefined) {
        spend(context, path);
        if (context.strict)
          throw new FieldError(
            `${path ? `${path}.` : ''}<key ${position + 1}>: unknown field (Helm refuses the whole index)`,
          );
        continue;
      }
      name = canonical;
      kind = fields[canonical] as FieldKind | 'entries';
      context.repairs.push({ kind: 'field-name', detail: `${key} served as ${canonical}` });
    }
    const fieldPath = path ? `${path}.${name}` : name;
    spend(context, fieldPath);
    if (isNull(value)) continue;
    // Entries are walked one by one by the caller, so that bad ones can be skipped.
    out[name] = kind === 'entries' ? value : convert(value, kind, fieldPath, context);
  }
  return out;
}

function convert(value: Raw, kind: FieldKind, path: string, context: Context): unknown {
  switch (kind) {
    case 'string':
      if (typeof value === 'number') throw new NeedsNumberText();
      if (value instanceof NumberText) {
        context.repairs.push({ kind: 'number-as-text', detail: `${path}: ${value.text}` });
        return value.text;
      }
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
    case 'dependencies': {
      const itemFields = kind === 'maintainers' ? maintainerFields : dependencyFields;
      // Helm skips the entry over a null item (the caller checks), not the whole index.
      return list(value, path, context).map((item, i) =>
        isNull(item) ? null : normalizeObject(item, itemFields, `${path}[${i}]`, context),
      );
    }
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
  if (value instanceof NumberText)
    return context.format === 'json' ? Number(value.text) : value.text;
  return value;
}

function spend(context: Context, path: string, amount = 1): void {
  context.budget -= amount;
  if (context.budget < 0) {
    throw new FieldError(`${path}: the document expands far beyond its size (YAML alias bomb?)`);
  }
}

/** The failsafe schema keeps `~` and `null` as text; Helm's YAML reads them as null. */
export function isNull(value: Raw): boolean {
  return (
    value === null ||
    value === undefined ||
    value === '~' ||
    value === 'null' ||
    value === 'Null' ||
    value === 'NULL'
  );
}

export function isMapping(value: Raw): value is Record<string, Raw> {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof NumberText)
  );
}
