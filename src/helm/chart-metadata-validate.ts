import type { ChartMetadata } from './chart-metadata.ts';
import { skipReason } from './chart-version-rules.ts';

/** `helm create`'s rule for chart names; the name is also a file name and a URL segment. */
const chartNamePattern = /^[a-zA-Z0-9._-]+$/;
const maxChartNameLength = 250;

/**
 * Chart.yaml metadata as Helm's loader leaves it: a missing apiVersion is v1 (Helm 2 charts),
 * and the strings Helm sanitises have whitespace turned to spaces and unprintable characters
 * removed, so the index entry says what `helm repo index` would.
 */
export function asHelmLoadsIt(metadata: ChartMetadata): ChartMetadata {
  const out: Record<string, unknown> = { ...metadata, apiVersion: metadata.apiVersion ?? 'v1' };
  sanitizeFields(out, ['name', 'description', 'home', 'icon', 'condition', 'tags']);
  sanitizeFields(out, ['appVersion', 'kubeVersion', 'sources', 'keywords']);
  for (const [list, fields] of [
    ['maintainers', ['name', 'email', 'url']],
    ['dependencies', ['name', 'version', 'repository', 'condition', 'tags']],
  ] as const) {
    const items = out[list] as Record<string, unknown>[] | undefined;
    if (items)
      out[list] = items.map((item) => sanitizeFields({ ...item }, fields as readonly string[]));
  }
  return out as ChartMetadata;
}

/**
 * Why Helm's loader would refuse this Chart.yaml (chart.Metadata.Validate, after
 * asHelmLoadsIt), or undefined. A dependency name or alias may appear only once (Helm 4
 * refuses repeats). The name of an uploaded chart must also be one `helm create` accepts:
 * it becomes a file name and a URL segment; a subchart's only needs to be Helm's.
 */
export function chartMetadataProblem(
  metadata: ChartMetadata,
  options: { uploaded: boolean } = { uploaded: true },
): string | undefined {
  const apiVersion = metadata.apiVersion ?? 'v1';
  if (apiVersion !== 'v1' && apiVersion !== 'v2')
    return `apiVersion ${JSON.stringify(apiVersion)} is not v1 or v2`;
  const { name } = metadata;
  if (options.uploaded && !chartNamePattern.test(name))
    return `name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" and "-"`;
  if (options.uploaded && name.length > maxChartNameLength)
    return `name is longer than ${maxChartNameLength} characters`;
  const reason = skipReason(metadata);
  if (reason) return reason;
  const seen = new Set<string>();
  for (const dependency of (metadata.dependencies as Record<string, unknown>[] | undefined) ?? []) {
    const key = String(dependency.alias || dependency.name || '');
    if (seen.has(key)) return `more than one dependency with name or alias ${JSON.stringify(key)}`;
    seen.add(key);
  }
  return undefined;
}

function sanitizeFields(
  object: Record<string, unknown>,
  fields: readonly string[],
): Record<string, unknown> {
  for (const field of fields) {
    const value = object[field];
    const clean = Array.isArray(value) ? value.map(sanitize) : sanitize(value);
    if (clean === '') delete object[field];
    else if (value !== undefined) object[field] = clean;
  }
  return object;
}

/** Go's unicode.IsSpace becomes a space; what unicode.IsPrint refuses is dropped. */
function sanitize(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  return value.replace(/[\t\n\v\f\r\u0085\p{Zs}\u2028\u2029]/gu, ' ').replace(/\p{C}/gu, '');
}
