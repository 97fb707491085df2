import { BallastError } from '../errors/ballast-error.ts';
import type { AccessPolicy, Action } from './access-policy.ts';
import type { RegistryGrant } from './registry-token.ts';

export interface RequestedScope {
  /** `{repo}/{chart}` */
  name: string;
  actions: string[];
}

const maxScopes = 32;
const maxScopeLength = 512;

/**
 * The `scope` parameters of a token request: each may be given several times and may hold
 * several space-separated scopes (`repository:team/app:pull,push`). Scopes of other types
 * (`registry:catalog:*`) or names that are not `{repo}/{chart}` grant nothing, as the
 * distribution token spec allows, and are dropped here.
 */
export function parseScopes(raw: unknown): RequestedScope[] {
  const values = raw === undefined ? [] : Array.isArray(raw) ? raw : [raw];
  const scopes: RequestedScope[] = [];
  for (const value of values) {
    if (typeof value !== 'string') throw scopeError('scope must be text');
    for (const scope of value.split(' ').filter(Boolean)) {
      if (scope.length > maxScopeLength) throw scopeError('a scope is too long');
      if (scopes.length >= maxScopes) throw scopeError(`more than ${maxScopes} scopes`);
      const match = /^repository:([a-z0-9._-]+\/[a-z0-9._-]+):([a-z*,]+)$/.exec(scope);
      if (!match?.[1] || !match[2]) continue;
      scopes.push({ name: match[1], actions: match[2].split(',').filter(Boolean) });
    }
  }
  return scopes;
}

/** What a name (or nobody, for null) is given of what it asked for. */
export function grantScopes(
  requested: readonly RequestedScope[],
  subject: string | null,
  policy: AccessPolicy,
): RegistryGrant[] {
  const grants: RegistryGrant[] = [];
  for (const { name, actions } of requested) {
    const repo = name.slice(0, name.indexOf('/'));
    const may = (action: Action) =>
      action === 'pull' && policy.readsAnonymously(repo)
        ? true
        : subject !== null && policy.allows(subject, repo, action);
    const granted = (['pull', 'push'] as const).filter(
      (action) => (actions.includes(action) || actions.includes('*')) && may(action),
    );
    if (granted.length > 0) grants.push({ name, actions: [...granted] });
  }
  return grants;
}

function scopeError(reason: string): BallastError {
  return new BallastError('BALLAST_AUTH_SCOPE_INVALID', { reason });
}
