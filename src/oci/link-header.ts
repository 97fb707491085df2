/**
 * The `Link` header of paged tag and catalog lists (RFC 8288): `<url>; rel="next"`. The URL is
 * usually relative to the registry (`/v2/…/tags/list?last=…&n=…`).
 */
export function nextPageLink(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(/,(?=\s*<)/)) {
    const match = /^\s*<([^>]*)>\s*(.*)$/.exec(part);
    if (!match) continue;
    const [, target, params] = match;
    const rel = /(?:^|;)\s*rel\s*=\s*(?:"([^"]*)"|([^\s;]+))/i.exec(params ?? '');
    const relations = (rel?.[1] ?? rel?.[2] ?? '').toLowerCase().split(/\s+/);
    if (relations.includes('next')) return target;
  }
  return undefined;
}

export function formatNextPageLink(path: string): string {
  return `<${path}>; rel="next"`;
}
