import { isRepositoryName, isTag, repositoryNameProblem } from './names.ts';
import { OciFormatError } from './oci-format-error.ts';

/** An upstream as configured: `oci://registry[:port]/namespace` (namespace may be empty). */
export interface OciUpstreamLocation {
  /** `host` or `host:port`, as in the URL. */
  registry: string;
  /** Repository path prefix under which chart repositories sit, without slashes at the ends. */
  namespace: string;
}

const ociUrlPattern = /^oci:\/\/([^/?#@\s]+)(\/[^?#\s]*)?$/i;
const hostPattern =
  /^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

export function parseOciUpstreamUrl(url: string): OciUpstreamLocation {
  const match = ociUrlPattern.exec(url.trim());
  if (!match) throw new OciFormatError(`${url} is not an oci://registry/namespace URL`);
  const registry = (match[1] ?? '').toLowerCase();
  if (!hostPattern.test(registry)) throw new OciFormatError(`${registry} is not a host[:port]`);
  const namespace = (match[2] ?? '').replace(/^\/+|\/+$/g, '');
  if (namespace !== '') {
    const problem = repositoryNameProblem(namespace);
    if (problem) throw new OciFormatError(`namespace ${namespace}: ${problem}`);
  }
  return { registry, namespace };
}

/** The repository of a chart under an upstream: `namespace/chart`, or `chart` alone. */
export function chartRepository(location: OciUpstreamLocation, chart: string): string {
  return location.namespace === '' ? chart : `${location.namespace}/${chart}`;
}

/**
 * A chart version in a registry, as the URL of an index entry built from an OCI upstream:
 * `oci://registry/namespace/chart:tag`. Helm cannot fetch it from a classic index; it tells
 * the mirror where the chart lives.
 */
export interface OciChartReference {
  registry: string;
  repository: string;
  tag: string;
}

export function formatOciChartUrl({ registry, repository, tag }: OciChartReference): string {
  return `oci://${registry}/${repository}:${tag}`;
}

/** Parses `oci://registry/repository:tag`; undefined when the URL is not of that form. */
export function parseOciChartUrl(url: string): OciChartReference | undefined {
  const match = ociUrlPattern.exec(url);
  const path = match?.[2]?.slice(1);
  if (!match || !path) return undefined;
  const colon = path.lastIndexOf(':');
  if (colon <= 0) return undefined;
  const repository = path.slice(0, colon);
  const tag = path.slice(colon + 1);
  const registry = (match[1] ?? '').toLowerCase();
  if (!hostPattern.test(registry) || !isRepositoryName(repository) || !isTag(tag)) return undefined;
  return { registry, repository, tag };
}
