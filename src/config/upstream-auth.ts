import { z } from 'zod';
import type { UpstreamCredentials } from '../upstream/credentials.ts';
import type { Config } from './schema.ts';
import { resolveSecretRef, secretRefSchema } from './secret-ref.ts';

/**
 * `upstreams[].auth`: basic auth (`username` plus a `password` reference) or a bearer `token`
 * reference. Sent only to the upstream's own origin, never to chartHosts or redirect targets.
 */
export const upstreamAuthSchema = z.union(
  [
    z.strictObject({
      username: z
        .string()
        .min(1)
        .regex(/^[^:\r\n]*$/, 'expected a user name without ":"'),
      password: secretRefSchema,
    }),
    z.strictObject({ token: secretRefSchema }),
  ],
  { error: 'expected { username, password: { env | file } } or { token: { env | file } }' },
);

export type UpstreamAuth = z.output<typeof upstreamAuthSchema>;

/** The credentials an `auth` block names, read now; `key` is where the block sits. */
export function resolveUpstreamAuth(
  auth: UpstreamAuth,
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): UpstreamCredentials {
  if ('token' in auth) return { token: resolveSecretRef(auth.token, `${key}.token`, env) };
  return {
    username: auth.username,
    password: resolveSecretRef(auth.password, `${key}.password`, env),
  };
}

/**
 * Resolves every `auth` of the config once, so that `config check` and start-up fail on a
 * reference that cannot be resolved, naming its key.
 */
export function checkUpstreamAuth(config: Config, env: NodeJS.ProcessEnv): void {
  config.repos.forEach((repo, i) => {
    repo.upstreams.forEach((upstream, j) => {
      if (upstream.auth) resolveUpstreamAuth(upstream.auth, upstreamAuthKey('repos', i, j), env);
    });
  });
  config.files.forEach((mirror, i) => {
    mirror.upstreams.forEach((upstream, j) => {
      if (upstream.auth) resolveUpstreamAuth(upstream.auth, upstreamAuthKey('files', i, j), env);
    });
  });
}

export function upstreamAuthKey(section: 'repos' | 'files', i: number, j: number): string {
  return `${section}[${i}].upstreams[${j}].auth`;
}
