/** Human-readable durations and sizes of the config: `500ms`, `5m`, `1h30m`, `50MiB`, `10%`. */

const durationUnits: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

const sizeUnits: Record<string, number> = {
  b: 1,
  kb: 1000,
  mb: 1000 ** 2,
  gb: 1000 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** Milliseconds, or undefined when the text is not a duration. A bare number means ms. */
export function parseDuration(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value : undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) return undefined;
  return Math.round(
    parts.reduce((sum, [, n, unit]) => sum + Number(n) * (durationUnits[unit as string] ?? 0), 0),
  );
}

/** Bytes, or undefined when the text is not a size. A bare number means bytes. */
export function parseSize(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 ? value : undefined;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!match) return undefined;
  const factor = sizeUnits[(match[2] || 'b').toLowerCase()];
  return factor === undefined ? undefined : Math.floor(Number(match[1]) * factor);
}

/** A fraction between 0 and 1 from `10%` or `0.1`, or undefined. */
export function parseRatio(value: string | number): number | undefined {
  const ratio =
    typeof value === 'number'
      ? value
      : /^\d+(\.\d+)?%$/.test(value.trim())
        ? Number.parseFloat(value) / 100
        : /^\d+(\.\d+)?$/.test(value.trim())
          ? Number(value)
          : Number.NaN;
  return ratio >= 0 && ratio <= 1 ? ratio : undefined;
}
