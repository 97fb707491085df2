import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Identity } from '../auth/create-authenticator.ts';
import type { Auth } from '../auth/load-auth.ts';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { Actor } from '../hosted/hosted-writes.ts';

export interface AuthGuard {
  /** Lets a read of a classic route through, or throws 401 (with a Basic challenge) or 403. */
  classicRead(request: FastifyRequest, reply: FastifyReply, repo: string): Promise<void>;
  /**
   * Who may write to a repo through `/api/` (Basic, or a Bearer token as `cm-push
   * --access-token` sends it): 401 with a Basic challenge without valid credentials, 403 for
   * valid ones without write access, and 403 for everyone when the repo has no `access.write`.
   */
  classicWrite(request: FastifyRequest, reply: FastifyReply, repo: string): Promise<Actor>;
  /** The same for `/v2/`: `target` undefined is the `/v2/` ping; challenges are Bearer. */
  registryRead(
    request: FastifyRequest,
    reply: FastifyReply,
    target: { repo: string; chart: string } | undefined,
  ): Promise<void>;
  /**
   * A push to `/v2/{repo}/{chart}/…`: the caller's name when `access.write` lists it, else 401
   * (Bearer challenge for `pull,push`) or 403. Nobody may push to a repo without writers.
   */
  registryWrite(
    request: FastifyRequest,
    reply: FastifyReply,
    target: { repo: string; chart: string },
  ): Promise<Actor>;
  /** Which repos the caller may see in `/v2/_catalog`. */
  registryVisible(request: FastifyRequest, reply: FastifyReply): Promise<(repo: string) => boolean>;
  /** The token endpoint's URL and the service name for this request. */
  realmOf(request: FastifyRequest): { realm: string; service: string };
}

export const tokenPath = '/-/token';

const basicChallenge = (reply: FastifyReply, repo: string) =>
  reply.header('www-authenticate', `Basic realm="ballast ${repo}", charset="UTF-8"`);

/**
 * Access checks for the routes that serve repos. Reading an anonymous repo never looks at
 * credentials (no bcrypt, no 401 for a stale login on a public path).
 */
export function createAuthGuard(auth: Auth): AuthGuard {
  const { authenticator, policy } = auth;

  const realmOf = (request: FastifyRequest) => ({
    realm: auth.realm ?? `${request.protocol}://${request.host}${tokenPath}`,
    service: request.host,
  });

  const bearerChallenge = (request: FastifyRequest, reply: FastifyReply, scope?: string) => {
    const { realm, service } = realmOf(request);
    const scopePart = scope === undefined ? '' : `,scope="${scope}"`;
    reply.header('www-authenticate', `Bearer realm="${realm}",service="${service}"${scopePart}`);
  };

  /** Identifies the caller; wrong credentials get the challenge and a 401. */
  const identify = async (
    request: FastifyRequest,
    onChallenge: () => void,
    registryTokens: boolean,
  ): Promise<Identity> => {
    try {
      return await authenticator.identify(request.headers.authorization, request.ip, {
        registryTokens,
      });
    } catch (error) {
      if (isBallastError(error, 'BALLAST_AUTH_INVALID')) onChallenge();
      throw error;
    }
  };

  const denied = (who: string, repo: string) =>
    new BallastError('BALLAST_AUTH_DENIED', { who, action: 'read', repo });
  const required = (repo: string) => new BallastError('BALLAST_AUTH_REQUIRED', { repo });

  return {
    realmOf,
    async classicRead(request, reply, repo) {
      if (policy.readsAnonymously(repo)) return;
      const challenge = () => basicChallenge(reply, repo);
      const identity = await identify(request, challenge, false);
      if (identity.kind === 'anonymous') {
        challenge();
        throw required(repo);
      }
      if (identity.kind === 'named' && !policy.allows(identity.name, repo, 'pull'))
        throw denied(identity.name, repo);
    },
    async classicWrite(request, reply, repo) {
      // Nobody may write: said before any credential is checked (no bcrypt for a refusal).
      if (!policy.writable(repo))
        throw new BallastError('BALLAST_AUTH_WRITE_OFF', {
          repo,
          reason: 'its access.write lists no user or token',
        });
      const challenge = () => basicChallenge(reply, repo);
      const identity = await identify(request, challenge, false);
      if (identity.kind !== 'named') {
        challenge();
        throw required(repo);
      }
      if (!policy.allows(identity.name, repo, 'push'))
        throw new BallastError('BALLAST_AUTH_DENIED', {
          who: identity.name,
          action: 'write',
          repo,
        });
      return { who: identity.name, address: request.ip };
    },
    async registryRead(request, reply, target) {
      if (target === undefined ? !auth.enabled : policy.readsAnonymously(target.repo)) return;
      const name = target && `${target.repo}/${target.chart}`;
      const scope =
        target && `repository:${name}:${policy.writable(target.repo) ? 'pull,push' : 'pull'}`;
      const challenge = () => bearerChallenge(request, reply, scope);
      const identity = await identify(request, challenge, true);
      if (identity.kind === 'anonymous') {
        challenge();
        throw required(target?.repo ?? '(any)');
      }
      if (target === undefined) return; // any valid credentials or token answer the ping
      if (identity.kind === 'named') {
        if (!policy.allows(identity.name, target.repo, 'pull'))
          throw denied(identity.name, target.repo);
        return;
      }
      const { subject, grants } = identity.claims;
      if (grants.some((g) => g.name === name && g.actions.includes('pull'))) return;
      if (subject !== null && !policy.allows(subject, target.repo, 'pull'))
        throw denied(subject, target.repo);
      // A token for another scope: the client fetches one for this scope and retries.
      challenge();
      throw required(target.repo);
    },
    async registryWrite(request, reply, { repo, chart }) {
      const name = `${repo}/${chart}`;
      const challenge = () => bearerChallenge(request, reply, `repository:${name}:pull,push`);
      if (!policy.writable(repo))
        throw new BallastError('BALLAST_PUSH_NOT_ALLOWED', {
          repo,
          reason: 'its access.write lists no user or token',
        });
      const identity = await identify(request, challenge, true);
      const actor = (who: string): Actor => ({ who, address: request.ip });
      if (identity.kind === 'named') {
        if (policy.allows(identity.name, repo, 'push')) return actor(identity.name);
        throw new BallastError('BALLAST_AUTH_DENIED', {
          who: identity.name,
          action: 'push to',
          repo,
        });
      }
      if (identity.kind === 'registry-token') {
        const { subject, grants } = identity.claims;
        const granted = grants.some((g) => g.name === name && g.actions.includes('push'));
        // The grant was made from access.write when the token was issued; it is checked again
        // so a name removed from the list loses push at the next restart, not at token expiry.
        if (granted && subject !== null && policy.allows(subject, repo, 'push'))
          return actor(subject);
        if (subject !== null && !policy.allows(subject, repo, 'push'))
          throw new BallastError('BALLAST_AUTH_DENIED', { who: subject, action: 'push to', repo });
      }
      // No credentials, or a token for another scope: the client fetches one and retries.
      challenge();
      throw required(repo);
    },
    async registryVisible(request, reply) {
      const identity = await identify(request, () => bearerChallenge(request, reply), true);
      return (repo) => policy.canRead(identity, repo);
    },
  };
}
