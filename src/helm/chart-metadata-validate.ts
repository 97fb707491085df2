import type { ChartMetadata } from './chart-metadata.ts';
import { skipReason } from './chart-version-rules.ts';

/** `helm create`'s rule for chart names; the name is also a file name and a URL segment. */
const chartNamePattern = /^[a-zA-Z0-9._-]+$/;
const maxChartNameLength = 250;

/**
 * Why Helm's loader would refuse this Chart.yaml (chart.Metadata.Validate after Helm fills a
 * missing apiVersion with v1), or undefined. Stricter than what an index may hold: a name
 * must be usable as a file name, and a dependency name or alias may appear only once.
 */
export function chartMetadataProblem(metadata: ChartMetadata): string | undefined {
  const apiVersion = metadata.apiVersion ?? 'v1';
  if (apiVersion !== 'v1' && apiVersion !== 'v2')
    return `apiVersion ${JSON.stringify(apiVersion)} is not v1 or v2`;
  const { name } = metadata;
  if (!chartNamePattern.test(name) || name === '.' || name === '..')
    return `name ${JSON.stringify(name)} is invalid: use letters, digits, ".", "_" and "-"`;
  if (name.length > maxChartNameLength)
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
