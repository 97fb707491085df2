import type { Identity } from './create-authenticator.ts';

export interface RepoAccess {
  read: 'anonymous' | readonly string[];
  write: readonly string[];
}

export type Action = 'pull' | 'push';

export interface AccessPolicy {
  /** True when reading the repo needs no credentials (also for repos that do not exist). */
  readsAnonymously(repo: string): boolean;
  /** Whether a user or token name may do this in the repo. */
  allows(name: string, repo: string, action: Action): boolean;
  /** Whether anyone at all may push to the repo (so a challenge offers `push`). */
  writable(repo: string): boolean;
  /** Whether this identity may read the repo, for listings such as `/v2/_catalog`. */
  canRead(identity: Identity, repo: string): boolean;
}

/** `access` of every repo, as policy: read anonymous or by name, write by name only. */
export function createAccessPolicy(repos: ReadonlyMap<string, RepoAccess>): AccessPolicy {
  const allows = (name: string, repo: string, action: Action) => {
    const access = repos.get(repo);
    if (!access) return false;
    if (action === 'push') return access.write.includes(name);
    return access.read === 'anonymous' || access.read.includes(name);
  };
  const readsAnonymously = (repo: string) => (repos.get(repo)?.read ?? 'anonymous') === 'anonymous';
  return {
    readsAnonymously,
    allows,
    writable: (repo) => (repos.get(repo)?.write.length ?? 0) > 0,
    canRead(identity, repo) {
      if (readsAnonymously(repo)) return true;
      if (identity.kind === 'named') return allows(identity.name, repo, 'pull');
      if (identity.kind === 'registry-token' && identity.claims.subject !== null)
        return allows(identity.claims.subject, repo, 'pull');
      return false;
    },
  };
}
