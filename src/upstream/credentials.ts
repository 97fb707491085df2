/** Credentials for an upstream, resolved from the config's secret references at start. */
export type UpstreamCredentials = { username: string; password: string } | { token: string };

/** The Authorization header they make: Basic for a user and password, Bearer for a token. */
export function authorizationFor(credentials: UpstreamCredentials): string {
  if ('token' in credentials) return `Bearer ${credentials.token}`;
  const pair = `${credentials.username}:${credentials.password}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}
