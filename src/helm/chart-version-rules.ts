import { parseChartVersion } from './chart-version.ts';

/**
 * What Helm accepts in an index entry (repo.ChartVersion, which embeds chart.Metadata).
 * YAML indexes are strict in Helm: a field not listed here rejects the whole index.
 * The deprecated Helm 2 fields are listed because strict parsing must still accept them.
 */
export type FieldKind =
  | 'string'
  | 'strings'
  | 'bool'
  | 'time'
  | 'stringMap'
  | 'maintainers'
  | 'dependencies'
  | 'any';

/** chart.Metadata: what Chart.yaml holds, and an OCI chart's config blob as JSON. */
export const chartMetadataFields: Readonly<Record<string, FieldKind>> = {
  name: 'string',
  home: 'string',
  sources: 'strings',
  version: 'string',
  description: 'string',
  keywords: 'strings',
  maintainers: 'maintainers',
  icon: 'string',
  apiVersion: 'string',
  condition: 'string',
  tags: 'string',
  appVersion: 'string',
  deprecated: 'bool',
  annotations: 'stringMap',
  kubeVersion: 'string',
  dependencies: 'dependencies',
  type: 'string',
};

export const chartVersionFields: Readonly<Record<string, FieldKind>> = {
  ...chartMetadataFields,
  urls: 'strings',
  created: 'time',
  removed: 'bool',
  digest: 'string',
  checksum: 'string',
  engine: 'string',
  tillerVersion: 'string',
  url: 'string',
};

export const maintainerFields: Readonly<Record<string, FieldKind>> = {
  name: 'string',
  email: 'string',
  url: 'string',
};

export const dependencyFields: Readonly<Record<string, FieldKind>> = {
  name: 'string',
  version: 'string',
  repository: 'string',
  condition: 'string',
  tags: 'strings',
  enabled: 'bool',
  'import-values': 'any',
  alias: 'string',
};

export const indexFields: Readonly<Record<string, FieldKind | 'entries'>> = {
  apiVersion: 'string',
  generated: 'time',
  entries: 'entries',
  publicKeys: 'strings',
  annotations: 'stringMap',
  serverInfo: 'any',
};

/** Helm reads YAML with YAML 1.1 rules, where these spell booleans. */
export const yamlBooleans: Readonly<Record<string, boolean>> = Object.fromEntries([
  ...['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'y', 'Y', 'on', 'On', 'ON'].map((w) => [
    w,
    true,
  ]),
  ...['false', 'False', 'FALSE', 'no', 'No', 'NO', 'n', 'N', 'off', 'Off', 'OFF'].map((w) => [
    w,
    false,
  ]),
]);

const aliasPattern = /^[a-zA-Z0-9_-]+$/;

/**
 * Why Helm would skip this entry (chart.Metadata.Validate as loadIndex calls it), or
 * undefined. Helm 4's rule against the names `.` and `..` is applied for both Helms: such a
 * name cannot be a file name under `charts/`.
 */
export function skipReason(entry: Record<string, unknown>): string | undefined {
  const name = entry.name;
  const version = entry.version;
  if (typeof name !== 'string' || name === '') return 'no name';
  if (name === '.' || name === '..' || name.includes('/')) return `name "${name}" is not allowed`;
  if (typeof version !== 'string' || version === '') return 'no version';
  const parsed = parseChartVersion(version);
  if (!parsed.ok) return `version "${version}" is not valid semver (${parsed.reason})`;
  const type = entry.type;
  if (type !== undefined && type !== '' && type !== 'application' && type !== 'library') {
    return 'type must be application or library';
  }
  const maintainers = (entry.maintainers as unknown[] | undefined) ?? [];
  if (maintainers.some((m) => m === null))
    return 'maintainers must not contain empty or null nodes';
  const seen = new Set<string>();
  for (const dep of (entry.dependencies as (Record<string, unknown> | null)[] | undefined) ?? []) {
    if (dep === null) return 'dependencies must not contain empty or null nodes';
    const alias = dep.alias;
    if (typeof alias === 'string' && alias !== '' && !aliasPattern.test(alias)) {
      return `dependency alias "${alias}" is invalid`;
    }
    const key = String(alias || dep.name);
    // Helm keeps such entries (repositories that strip aliases publish them) but stops
    // checking the remaining dependencies there.
    if (seen.has(key)) return undefined;
    seen.add(key);
  }
  return undefined;
}

/**
 * The entry's digest as bare lower-case hex (Helm 4 requires it so; some repositories write
 * `sha256:<hex>`), or undefined when it has none Ballast can verify against.
 */
export function usableDigest(digest: unknown): string | undefined {
  if (typeof digest !== 'string') return undefined;
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
  return /^[0-9a-f]{64}$/i.test(hex) ? hex.toLowerCase() : undefined;
}
