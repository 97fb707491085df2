/**
 * Resolves an index entry's URL the way Helm does: absolute URLs are used as they are;
 * relative ones resolve against the repository URL with a trailing `/` forced, and the
 * repository URL's query string replaces theirs.
 */
export function resolveChartUrl(repoUrl: string, reference: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(reference)) return reference;
  const base = new URL(repoUrl);
  if (!base.pathname.endsWith('/')) base.pathname += '/';
  const resolved = new URL(reference, base);
  resolved.search = base.search;
  return resolved.toString();
}

/**
 * The provenance file of a chart URL: `.prov` goes on the path, and a query the URL carries
 * (a signed or token URL) stays as it is.
 */
export function provenanceUrl(chartUrl: string): string {
  const url = new URL(chartUrl);
  url.pathname += '.prov';
  return url.toString();
}

/** The file name Ballast serves a chart under: `{name}-{version}.tgz`. */
export function chartFileName(name: string, version: string): string {
  return `${name}-${version}.tgz`;
}

/** The relative URL written into a served index; `+` stays readable. */
export function chartPath(fileName: string): string {
  return `charts/${encodeURIComponent(fileName).replace(/%2B/g, '+')}`;
}

/**
 * Why a requested file name is not acceptable, or undefined. Names come from a URL path
 * segment, so anything that could step outside the repository is refused.
 */
export function unsafeFileNameReason(fileName: string): string | undefined {
  if (fileName.length === 0 || fileName.length > 255) return 'length must be 1 to 255 characters';
  if (fileName === '.' || fileName === '..' || fileName.includes('..'))
    return 'must not contain ".."';
  if (/[/\\\0]/.test(fileName)) return 'must not contain slashes or NUL';
  if (!/\.tgz(\.prov)?$/.test(fileName)) return 'must end in .tgz or .tgz.prov';
  return undefined;
}
