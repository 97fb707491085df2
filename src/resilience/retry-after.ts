import { BallastError } from '../errors/ballast-error.ts';

/**
 * Milliseconds to wait according to a `Retry-After` value (RFC 9110: delay-seconds or an
 * HTTP-date), measured from `now` (epoch ms). Undefined when absent or unreadable; a date in
 * the past means 0.
 */
export function parseRetryAfter(
  value: string | number | undefined,
  now: number,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number')
    return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Date.parse also takes forms like '2024' or '1 2 3'; demand the look of an HTTP-date.
  if (!/^[A-Za-z]{3},? /.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** The raw `Retry-After` an upstream sent with an error status, if any. */
export function retryAfterOf(error: unknown): string | number | undefined {
  if (!(error instanceof BallastError)) return undefined;
  const value = error.details.retryAfter;
  return typeof value === 'string' || typeof value === 'number' ? value : undefined;
}
