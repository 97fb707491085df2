import { OciFormatError } from './oci-format-error.ts';

/**
 * A chunk's `Content-Range` on `PATCH` (distribution spec: `<start>-<end>`, inclusive; some
 * clients send the HTTP form `bytes <start>-<end>/<total>`). Undefined when absent: the
 * chunk is then appended wherever the upload ends, as Docker clients stream.
 */
export function parseContentRange(
  header: string | undefined,
): { start: number; end: number } | undefined {
  if (header === undefined || header === '') return undefined;
  const match = /^(?:bytes[ =])?(\d{1,15})-(\d{1,15})(?:\/(?:\d{1,15}|\*))?$/.exec(header.trim());
  if (!match) throw new OciFormatError(`Content-Range ${JSON.stringify(header)} is not start-end`);
  const start = Number(match[1]);
  const end = Number(match[2]);
  if (end < start) throw new OciFormatError(`Content-Range ${header} ends before it starts`);
  return { start, end };
}

/** The `Range` header of an upload's answers: `0-<last byte received>` (`0-0` when empty). */
export function uploadedRange(size: number): string {
  return `0-${Math.max(size - 1, 0)}`;
}
