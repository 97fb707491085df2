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

/**
 * Masterminds semver, which Helm uses: an optional `v`, one to three numeric parts,
 * then optional pre-release and build metadata.
 */
const chartVersionPattern =
  /^v?(0|[1-9]\d*)(\.(0|[1-9]\d*))?(\.(0|[1-9]\d*))?(-([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?(\+([0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*))?$/;

export function isValidChartVersion(version: string): boolean {
  const match = chartVersionPattern.exec(version);
  if (!match) return false;
  const prerelease = match[7];
  // Numeric pre-release identifiers must not carry leading zeros.
  return !prerelease?.split('.').some((id) => /^0\d+$/.test(id));
}

const aliasPattern = /^[a-zA-Z0-9_-]+$/;

/** Why Helm would skip this entry (chart.Metadata.Validate and friends), or undefined. */
export function skipReason(entry: Record<string, unknown>): string | undefined {
  const name = entry.name;
  const version = entry.version;
  if (typeof name !== 'string' || name === '') return 'no name';
  if (name === '.' || name === '..' || name.includes('/')) return `name "${name}" is not allowed`;
  if (typeof version !== 'string' || version === '') return 'no version';
  if (!isValidChartVersion(version)) return `version "${version}" is not valid semver`;
  const type = entry.type;
  if (type !== undefined && type !== '' && type !== 'application' && type !== 'library') {
    return 'type must be application or library';
  }
  const seen = new Set<string>();
  for (const dep of (entry.dependencies as Record<string, unknown>[] | undefined) ?? []) {
    const alias = dep.alias;
    if (typeof alias === 'string' && alias !== '' && !aliasPattern.test(alias)) {
      return `dependency alias "${alias}" is invalid`;
    }
    const key = String(alias || dep.name);
    if (seen.has(key)) return `more than one dependency with name or alias "${key}"`;
    seen.add(key);
  }
  const urls = entry.urls as string[] | undefined;
  if (!urls || urls.length === 0 || urls[0] === '') return 'no urls';
  const digest = entry.digest;
  // Ballast serves only charts it can verify; Helm 4 fails on a digest that is not 32 bytes of hex.
  if (digest === undefined || digest === '') return 'no digest';
  if (!/^[0-9a-f]{64}$/i.test(String(digest))) return 'digest is not 64 hex characters';
  return undefined;
}
