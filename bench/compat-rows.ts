import { parseChartVersion } from '../src/helm/chart-version.ts';

/**
 * What `helm search repo r/ --versions --devel -o json` showed, read directly from an upstream
 * and through Ballast, and how the two compare. The building blocks of `npm run compat`.
 */
export interface SearchRow {
  name: string;
  version: string;
  app_version: string;
  description: string;
}

/** Rows in Helm's order, or why `helm repo add` / `search` failed (the index was refused). */
export type SearchOutcome = { ok: true; rows: SearchRow[] } | { ok: false; error: string };

export type Comparison =
  | { kind: 'same'; rows: number }
  /** Helm refuses the upstream's index; through Ballast it reads it. */
  | { kind: 'ballast-reads-refused'; rows: number; error: string }
  /** Helm reads the upstream's index; through Ballast it gets none. */
  | { kind: 'ballast-refuses'; rows: number; error: string }
  | { kind: 'rows-differ'; missing: string[]; extra: string[]; changed: string[]; order: boolean };

export function parseSearchOutput(stdout: string): SearchRow[] {
  const rows = JSON.parse(stdout) as unknown;
  if (!Array.isArray(rows))
    throw new Error(`helm search printed no JSON list: ${stdout.slice(0, 200)}`);
  return rows.map((row: Record<string, unknown>) => ({
    name: String(row.name ?? ''),
    version: String(row.version ?? ''),
    app_version: String(row.app_version ?? ''),
    description: String(row.description ?? ''),
  }));
}

export function compareOutcomes(direct: SearchOutcome, through: SearchOutcome): Comparison {
  if (!direct.ok && !through.ok) return { kind: 'same', rows: 0 };
  if (!direct.ok && through.ok) {
    return { kind: 'ballast-reads-refused', rows: through.rows.length, error: direct.error };
  }
  if (direct.ok && !through.ok) {
    return { kind: 'ballast-refuses', rows: direct.rows.length, error: through.error };
  }
  if (!direct.ok || !through.ok) throw new Error('unreachable');
  return compareRows(direct.rows, through.rows);
}

/** Row by row: chart versions one side lacks, and fields that differ for the same version. */
export function compareRows(helmDirect: SearchRow[], helmThrough: SearchRow[]): Comparison {
  const direct = canonicalOrder(helmDirect);
  const through = canonicalOrder(helmThrough);
  const key = (row: SearchRow) => `${row.name} ${row.version}`;
  const text = (row: SearchRow) => JSON.stringify(row);
  if (
    direct.length === through.length &&
    direct.every((row, i) => text(row) === text(through[i] as SearchRow))
  ) {
    return { kind: 'same', rows: direct.length };
  }
  const theirs = new Map(through.map((row) => [key(row), row]));
  const ours = new Map(direct.map((row) => [key(row), row]));
  const missing = direct.filter((row) => !theirs.has(key(row))).map(key);
  const extra = through.filter((row) => !ours.has(key(row))).map(key);
  const changed = direct
    .filter((row) => theirs.has(key(row)) && text(theirs.get(key(row)) as SearchRow) !== text(row))
    .map((row) => `${key(row)}: ${text(row)} -> ${text(theirs.get(key(row)) as SearchRow)}`);
  const order = missing.length === 0 && extra.length === 0 && changed.length === 0;
  return { kind: 'rows-differ', missing, extra, changed, order };
}

/**
 * Helm orders versions of equal precedence (`1.1.2`, `1.1.2+build.5`) differently from one
 * run to the next (map order, then an unstable sort): within such a run of rows, order by text.
 */
export function canonicalOrder(rows: readonly SearchRow[]): SearchRow[] {
  const precedence = (row: SearchRow) => {
    const parsed = parseChartVersion(row.version);
    if (!parsed.ok) return `${row.name} ${row.version}`;
    const { major, minor, patch, prerelease } = parsed.version;
    return `${row.name} ${major}.${minor}.${patch}-${prerelease}`;
  };
  const out: SearchRow[] = [];
  for (let start = 0; start < rows.length; ) {
    let end = start + 1;
    while (
      end < rows.length &&
      precedence(rows[end] as SearchRow) === precedence(rows[start] as SearchRow)
    )
      end++;
    const run = rows.slice(start, end);
    out.push(...run.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)));
    start = end;
  }
  return out;
}

/** One line for people: `same (12 rows)`, `Ballast lacks 3: a 1.0, …`. */
export function describeComparison(comparison: Comparison, limit = 3): string {
  const list = (items: string[]) =>
    `${items.slice(0, limit).join(', ')}${items.length > limit ? `, … (${items.length})` : ''}`;
  switch (comparison.kind) {
    case 'same':
      return `same (${comparison.rows} rows)`;
    case 'ballast-reads-refused':
      return `Helm refuses the upstream (${firstLine(comparison.error)}); through Ballast it lists ${comparison.rows}`;
    case 'ballast-refuses':
      return `Helm lists ${comparison.rows} from the upstream; through Ballast: ${firstLine(comparison.error)}`;
    case 'rows-differ': {
      if (comparison.order) return 'same rows in another order';
      const parts = [
        comparison.missing.length > 0 ? `Ballast lacks ${list(comparison.missing)}` : '',
        comparison.extra.length > 0 ? `Ballast adds ${list(comparison.extra)}` : '',
        comparison.changed.length > 0 ? `changed ${list(comparison.changed)}` : '',
      ];
      return parts.filter(Boolean).join('; ');
    }
  }
}

function firstLine(text: string): string {
  const line = text.trim().split('\n').at(-1) ?? '';
  return line.length > 160 ? `${line.slice(0, 160)}…` : line;
}
