import type { FieldKind } from './chart-version-rules.ts';

/**
 * What Ballast changes in an upstream entry so that every Helm reads it as the upstream meant:
 * - `number-as-text`: a number where Helm wants text (`appVersion: 1.40`) is served as the
 *   upstream's text; Helm itself refuses the whole index over it.
 * - `field-name`: a field named in another case (`appversion`) is served under its canonical
 *   name; Helm reads both alike.
 * - `digest-prefix`: `sha256:<hex>` is served as bare hex, which Helm 4 requires.
 */
export type RepairKind = 'number-as-text' | 'field-name' | 'digest-prefix';

export interface IndexRepair {
  /** Empty for the index's own fields. */
  chart: string;
  version: string;
  kind: RepairKind;
  detail: string;
}

type Fields = Readonly<Record<string, FieldKind | 'entries'>>;

const folded = new WeakMap<Fields, ReadonlyMap<string, string>>();

/**
 * The canonical field a key names when case is ignored, as Go's `encoding/json` matches
 * them (`ſ` and the Kelvin sign fold to `s` and `k` there too).
 */
export function foldedFieldName(fields: Fields, key: string): string | undefined {
  let table = folded.get(fields);
  if (!table) {
    table = new Map(Object.keys(fields).map((name) => [fold(name), name]));
    folded.set(fields, table);
  }
  return table.get(fold(key));
}

function fold(name: string): string {
  return name.replace(/ſ/g, 's').replace(/[İı]/g, 'i').toLowerCase();
}
