import { OciFormatError } from './oci-format-error.ts';

/**
 * Parses a `tags/list` answer: `{"name": "…", "tags": ["…"]}`. `tags` may be null (a
 * repository whose tags were all deleted). Tags that are not strings fail the whole list.
 */
export function parseTagList(bytes: Uint8Array): { name?: string; tags: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OciFormatError('the tag list is not JSON');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new OciFormatError('the tag list is not a JSON object');
  const { name, tags } = raw as { name?: unknown; tags?: unknown };
  if (tags === null || tags === undefined)
    return { ...(typeof name === 'string' ? { name } : {}), tags: [] };
  if (!Array.isArray(tags) || tags.some((tag) => typeof tag !== 'string'))
    throw new OciFormatError('tags is not a list of strings');
  return { ...(typeof name === 'string' ? { name } : {}), tags: tags as string[] };
}

/**
 * One page of a list served with `n` and `last` (tags, catalog): the items after `last` in
 * lexical order, at most `n` of them, and whether more follow.
 */
export function pageOf(
  sorted: readonly string[],
  { n, last }: { n?: number; last?: string },
): { items: string[]; more: boolean } {
  let start = 0;
  if (last !== undefined) {
    start = sorted.findIndex((item) => item > last);
    if (start === -1) start = sorted.length;
  }
  const end = n === undefined ? sorted.length : Math.min(sorted.length, start + n);
  return { items: sorted.slice(start, end), more: end < sorted.length };
}

/** Lexical order by code unit, as the spec asks of paged lists. */
export function lexicalSort(items: Iterable<string>): string[] {
  return [...new Set(items)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
