/**
 * Chart versions as Helm reads them: Masterminds semver v3 `NewVersion` (v3.3 in Helm 3.17,
 * v3.4 in Helm 4.1, which parse alike). It is looser than SemVer 2.0: an optional `v`, one to
 * three numeric parts whose leading zeros are coerced away (`1.13.000` is 1.13.0), then an
 * optional pre-release and build metadata. Leading zeros stay refused in numeric pre-release
 * identifiers, and each numeric part must fit in 64 bits.
 */
export interface ChartVersionParts {
  /** Decimal digits without leading zeros, so that comparing them needs no big integers. */
  major: string;
  minor: string;
  patch: string;
  prerelease: string;
  build: string;
}

const loosePattern =
  /^v?([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

const uint64Max = '18446744073709551615';

export type ChartVersionResult =
  | { ok: true; version: ChartVersionParts }
  | { ok: false; reason: string };

export function parseChartVersion(text: string): ChartVersionResult {
  const match = loosePattern.exec(text);
  if (!match) return { ok: false, reason: 'invalid semantic version' };
  const numbers = [match[1], match[2], match[3]].map((part) => withoutLeadingZeros(part ?? '0'));
  if (numbers.some((n) => compareDigits(n, uint64Max) > 0)) {
    return { ok: false, reason: 'a version part is larger than 64 bits' };
  }
  const prerelease = match[4] ?? '';
  if (prerelease.split('.').some((id) => /^0[0-9]+$/.test(id))) {
    return { ok: false, reason: 'version segment starts with 0' };
  }
  const [major, minor, patch] = numbers as [string, string, string];
  return { ok: true, version: { major, minor, patch, prerelease, build: match[5] ?? '' } };
}

export function isValidChartVersion(text: string): boolean {
  return parseChartVersion(text).ok;
}

/** Precedence as Masterminds' `Compare`: build metadata is ignored. */
export function compareChartVersions(a: ChartVersionParts, b: ChartVersionParts): number {
  return (
    compareDigits(a.major, b.major) ||
    compareDigits(a.minor, b.minor) ||
    compareDigits(a.patch, b.patch) ||
    comparePrerelease(a.prerelease, b.prerelease)
  );
}

/**
 * Newest first, as Helm's `SortEntries` orders an index; text that does not parse goes last.
 * Equal versions keep their order.
 */
export function newestFirst(a: string, b: string): number {
  const left = parseChartVersion(a);
  const right = parseChartVersion(b);
  if (!left.ok || !right.ok) return Number(!left.ok) - Number(!right.ok);
  return compareChartVersions(right.version, left.version);
}

function comparePrerelease(a: string, b: string): number {
  if (a === b) return 0;
  // A release ranks above its pre-releases.
  if (a === '') return 1;
  if (b === '') return -1;
  const left = a.split('.');
  const right = b.split('.');
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const order = comparePrereleasePart(left[i] ?? '', right[i] ?? '');
    if (order !== 0) return order;
  }
  return 0;
}

function comparePrereleasePart(a: string, b: string): number {
  if (a === b) return 0;
  // Fewer identifiers rank lower.
  if (a === '') return -1;
  if (b === '') return 1;
  const aNumber = isUint64(a);
  const bNumber = isUint64(b);
  if (aNumber && bNumber) return compareDigits(withoutLeadingZeros(a), withoutLeadingZeros(b));
  // Numeric identifiers rank below alphanumeric ones.
  if (aNumber) return -1;
  if (bNumber) return 1;
  return a < b ? -1 : 1;
}

function isUint64(text: string): boolean {
  return /^[0-9]+$/.test(text) && compareDigits(withoutLeadingZeros(text), uint64Max) <= 0;
}

function withoutLeadingZeros(digits: string): string {
  return digits.replace(/^0+(?=.)/, '');
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
