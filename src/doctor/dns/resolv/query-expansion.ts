import type { ResolverView } from './resolv-conf.ts';

export type Libc = 'glibc' | 'musl';

export interface CandidateName {
  /** Fully qualified, lower case, with a trailing dot. */
  name: string;
  /** The search domain appended, or null for the name as given. */
  search: string | null;
}

/**
 * The names a pod's resolver tries for `input`, in order (each asked as A and AAAA).
 * glibc: with at least ndots dots the name as given comes first, then the search list;
 * with fewer, the search list first and the name as given last.
 * musl: with at least ndots dots only the name as given; otherwise search list, then the name.
 * A trailing dot means the name is absolute in both: no search at all.
 */
export function expandName(input: string, view: ResolverView, libc: Libc): CandidateName[] {
  const absolute = input.endsWith('.');
  const bare = input.replace(/\.+$/, '').toLowerCase();
  if (bare === '') return [];
  const asGiven: CandidateName = { name: `${bare}.`, search: null };
  if (absolute) return [asGiven];
  const dots = bare.split('.').length - 1;
  const searched = view.search
    .map((domain) => domain.replace(/\.$/, '').toLowerCase())
    .filter((domain) => domain !== '')
    // Both libraries skip a search domain that would make the name longer than DNS allows.
    .filter((domain) => bare.length + 1 + domain.length <= 253)
    .map((domain): CandidateName => ({ name: `${bare}.${domain}.`, search: domain }));
  if (dots >= view.ndots) return libc === 'musl' ? [asGiven] : [asGiven, ...searched];
  return [...searched, asGiven];
}

/** What one query's answer means for a resolver walking the candidate list. */
export type QueryOutcome =
  | 'answer'
  | 'nxdomain'
  | 'nodata'
  | 'servfail'
  | 'refused'
  | 'timeout'
  | 'unknown';

/**
 * Whether the resolver goes on to the next candidate after this outcome.
 * glibc goes on after NXDOMAIN, NODATA and SERVFAIL; musl only after NXDOMAIN and treats
 * anything else that is not an answer as the end of the lookup.
 */
export function continuesAfter(outcome: QueryOutcome, libc: Libc): boolean {
  if (outcome === 'nxdomain') return true;
  if (libc === 'glibc') return outcome === 'nodata' || outcome === 'servfail';
  return false;
}

export function dotsIn(name: string): number {
  return name.replace(/\.+$/, '').split('.').length - 1;
}
