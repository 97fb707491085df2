import { resolveChartUrl } from '../helm/chart-url.ts';

/** Checksum files Ballast looks for next to a file, in this order. */
export const checksumSuffixes = ['.sha256sum', '.sha256'] as const;
export type ChecksumSuffix = (typeof checksumSuffixes)[number];

const maxPathLength = 1024;
const maxSegmentLength = 255;

/**
 * Why a requested file path is not acceptable, or undefined. The path comes from the URL after
 * `/files/{mirror}/`, already percent-decoded, so anything that could step outside the mirror
 * (`..`, backslashes, NUL) or confuse a filesystem or a log line (control characters) is refused.
 */
export function unsafeFilePathReason(path: string): string | undefined {
  if (path.length === 0 || path.length > maxPathLength)
    return `length must be 1 to ${maxPathLength} characters`;
  if (path.startsWith('/') || path.endsWith('/')) return 'must not start or end with "/"';
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point
  if (/[\u0000-\u001f\u007f\\]/.test(path))
    return 'must not contain backslashes or control characters';
  for (const segment of path.split('/')) {
    if (segment === '') return 'must not contain empty segments ("//")';
    if (segment === '.' || segment === '..') return 'must not contain "." or ".." segments';
    if (segment.length > maxSegmentLength)
      return `segments must be at most ${maxSegmentLength} characters`;
  }
  return undefined;
}

/** `FILE.sha256sum` → `{ file: 'FILE', suffix: '.sha256sum' }`; undefined for other paths. */
export function splitChecksumPath(
  path: string,
): { file: string; suffix: ChecksumSuffix } | undefined {
  for (const suffix of checksumSuffixes) {
    if (path.endsWith(suffix) && path.length > suffix.length)
      return { file: path.slice(0, -suffix.length), suffix };
  }
  return undefined;
}

export interface PathRewrite {
  match: string;
  to: string;
}

/**
 * The path as one upstream lays it out: `rewrite.match` (a regular expression) replaced by
 * `rewrite.to` (`$1`, `$<name>` refer to groups); unchanged when there is no rewrite or it
 * does not match. A rewrite that yields an unsafe path is refused like an unsafe request.
 */
export function rewritePath(path: string, rewrite: PathRewrite | undefined): string {
  if (!rewrite) return path;
  return path.replace(new RegExp(rewrite.match), rewrite.to);
}

/** The upstream URL of a path: segments percent-encoded under the upstream's URL (and its query). */
export function upstreamFileUrl(base: string, path: string): string {
  const encoded = path
    .split('/')
    .map((segment) => encodeURIComponent(segment).replace(/%2B/g, '+'))
    .join('/');
  return resolveChartUrl(base, encoded);
}

export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
