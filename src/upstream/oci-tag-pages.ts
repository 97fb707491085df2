import { BallastError } from '../errors/ballast-error.ts';
import { nextPageLink } from '../oci/link-header.ts';
import { OciFormatError } from '../oci/oci-format-error.ts';
import { parseTagList } from '../oci/tag-list.ts';
import type { RegistryTransport } from './oci-registry-transport.ts';

export interface TagPagesRequest {
  transport: RegistryTransport;
  repository: string;
  scope: string;
  label: string;
  limits: { tagListBytes: number; tagPages: number; tags: number };
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * All tags of a repository: the first page, then every `Link: <…>; rel="next"` page, up to
 * the page and tag limits (a registry that links in circles or without end is cut off with a
 * clear error instead of being followed forever).
 */
export async function fetchTagPages(request: TagPagesRequest): Promise<string[]> {
  const { transport, repository, label, limits } = request;
  const what = `tag list of ${repository}`;
  const invalid = (reason: string) =>
    new BallastError('BALLAST_OCI_RESPONSE_INVALID', { what, source: label, reason });
  const tags = new Set<string>();
  const seen = new Set<string>();
  let path = `/v2/${repository}/tags/list${request.pageSize ? `?n=${request.pageSize}` : ''}`;
  for (let page = 1; ; page++) {
    if (page > limits.tagPages) throw invalid(`more than ${limits.tagPages} pages`);
    seen.add(path);
    const response = await transport.get(path, {
      scope: request.scope,
      what,
      maxBytes: limits.tagListBytes,
      accept: 'application/json',
      signal: request.signal,
    });
    let parsed: { tags: string[] };
    try {
      parsed = parseTagList(response.body);
    } catch (error) {
      if (error instanceof OciFormatError) throw invalid(error.message);
      throw error;
    }
    for (const tag of parsed.tags) tags.add(tag);
    if (tags.size > limits.tags) throw invalid(`more than ${limits.tags} tags`);
    const next = nextPageLink(response.headers.link);
    if (!next) break;
    path = transport.pathOf(next);
    if (!path.startsWith(`/v2/${repository}/tags/list`))
      throw invalid(`the next page ${path} is not a tag list of ${repository}`);
    if (seen.has(path)) throw invalid(`page ${path} links back to a page already read`);
  }
  return [...tags];
}
