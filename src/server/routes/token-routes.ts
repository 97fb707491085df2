import type { FastifyInstance } from 'fastify';
import type { Identity } from '../../auth/create-authenticator.ts';
import type { Auth } from '../../auth/load-auth.ts';
import { grantScopes, parseScopes } from '../../auth/token-scope.ts';
import { isBallastError } from '../../errors/ballast-error.ts';
import { type AuthGuard, tokenPath } from '../auth-guard.ts';

/**
 * The token endpoint of the registry token flow (`helm registry login`, skopeo, oras):
 * `GET /-/token?service=…&scope=…` with optional Basic credentials (or a bearer token from
 * `auth.tokens`). Without credentials the token carries what anonymous readers may do;
 * wrong credentials are a 401. Scopes not allowed are left out of the token, not refused:
 * the registry then answers 401/403 for what the token lacks, as clients expect.
 */
export function registerTokenRoutes(app: FastifyInstance, auth: Auth, guard: AuthGuard): void {
  app.get<{ Querystring: { scope?: string | string[] } }>(tokenPath, async (request, reply) => {
    const requested = parseScopes(request.query.scope);
    let identity: Identity;
    try {
      identity = await auth.authenticator.identify(request.headers.authorization, request.ip);
    } catch (error) {
      if (isBallastError(error, 'BALLAST_AUTH_INVALID'))
        reply.header('www-authenticate', `Basic realm="${guard.realmOf(request).service}"`);
      throw error;
    }
    const subject = identity.kind === 'named' ? identity.name : null;
    const issuedAt = Date.now();
    const token = auth.signer.sign({
      subject,
      grants: grantScopes(requested, subject, auth.policy),
      expiresAt: issuedAt + auth.tokenTtlMs,
    });
    return reply
      .header('cache-control', 'no-store')
      .header('pragma', 'no-cache')
      .send({
        token,
        access_token: token,
        expires_in: Math.floor(auth.tokenTtlMs / 1000),
        issued_at: new Date(issuedAt).toISOString(),
      });
  });
}
