import { finding } from '../findings.ts';
import { HttpGetError, type HttpGetOptions, type HttpResponse, httpGet } from './http-get.ts';
import type { StageResult } from './stage-result.ts';
import type { UpstreamTarget } from './upstream-target.ts';

export type HttpStageResult = Omit<StageResult, 'durationMs'> & {
  response?: HttpResponse;
  /** Authorization header for the OCI registry, when it wanted a token. */
  authorization?: string;
};

/**
 * GETs index.yaml (classic) or /v2/ (OCI, with an anonymous token when the registry asks); a
 * file mirror's folder gets a HEAD, and any answer short of a server error will do.
 */
export async function httpStage(
  target: UpstreamTarget,
  options: HttpGetOptions,
): Promise<HttpStageResult> {
  let response: HttpResponse;
  try {
    response = await httpGet(
      target.probeUrl,
      target.kind === 'file' ? { ...options, method: 'HEAD' } : options,
    );
  } catch (error) {
    return failed(target.probeUrl.href, error);
  }
  if (target.kind === 'file' && response.status < 500) {
    return {
      stage: 'http',
      status: 'ok',
      summary: `HTTP ${response.status} for ${response.url.href}`,
      details: response.redirects,
      findings: [],
      response,
    };
  }
  const details = [
    ...response.redirects,
    `${response.status} ${response.url.href} (${response.body.length} bytes, ${response.headers['content-type'] ?? 'no content-type'})`,
  ];
  if (target.kind === 'oci' && response.status === 401) {
    const challenge = parseBearerChallenge(response.headers['www-authenticate']);
    if (challenge) {
      const who = target.basicAuth ? 'token' : 'anonymous token';
      const tokenOptions = target.basicAuth
        ? { ...options, headers: { ...options.headers, authorization: target.basicAuth } }
        : options;
      const token = await fetchToken(challenge, target.repository ?? '', tokenOptions);
      if ('problem' in token) {
        return {
          stage: 'http',
          status: 'fail',
          summary: 'registry token request failed',
          details: [...details, token.problem],
          findings: [
            finding(
              'upstream-http-status',
              `${who} from ${challenge.realm} failed: ${token.problem}`,
            ),
          ],
          meaning:
            'the registry wants credentials for this repository, or its token service is down',
        };
      }
      details.push(`${who} for pull from ${challenge.realm}`);
      return {
        stage: 'http',
        status: 'ok',
        summary: `registry answers /v2/ (token auth)`,
        details,
        findings: [],
        response,
        authorization: `Bearer ${token.token}`,
      };
    }
  }
  // 304 answers a probe's conditional GET: the index has not changed since the last probe.
  if ((response.status >= 200 && response.status < 300) || response.status === 304) {
    const what =
      target.kind === 'oci'
        ? 'registry answers /v2/'
        : `HTTP ${response.status} for ${response.url.pathname}`;
    return {
      stage: 'http',
      status: 'ok',
      summary: `${what} (${response.body.length} bytes)`,
      details,
      findings: [],
      response,
    };
  }
  return {
    stage: 'http',
    status: 'fail',
    summary: `HTTP ${response.status} for ${response.url.href}`,
    details,
    findings: [
      finding('upstream-http-status', `${response.url.href} answered HTTP ${response.status}`),
    ],
    meaning: statusMeaning(response.status, response.body.toString('utf8', 0, 4096), target.kind),
    response,
  };
}

export function failed(url: string, error: unknown): HttpStageResult {
  const message =
    error instanceof HttpGetError || error instanceof Error ? error.message : String(error);
  return {
    stage: 'http',
    status: 'fail',
    summary: `no HTTP response from ${url}`,
    details: [message],
    findings: [finding('upstream-http-failed', `${url}: ${message}`)],
    meaning: /timeout|within/.test(message)
      ? 'the server accepted the connection but did not answer in time: overloaded, or a proxy in between hangs'
      : 'the connection broke before a response: the server crashed, or a proxy or load balancer cut it',
  };
}

export function statusMeaning(status: number, body: string, kind: UpstreamTarget['kind']): string {
  if (/leader changed|etcdserver|request timed out/i.test(body)) {
    return "the upstream's control plane is electing a leader (etcd): transient; Ballast retries it (incident D)";
  }
  if (status === 404) {
    if (kind === 'file')
      return 'the upstream does not have this file: a release not (or no longer) published there, or a wrong rewrite';
    return kind === 'oci'
      ? 'no such repository or registry path: check the name (tags replace + with _)'
      : 'no index.yaml here: the repository URL is wrong, or its published branch (e.g. gh-pages) was deleted; Ballast keeps serving the last good index (incident C)';
  }
  if (status === 401 || status === 403)
    return 'the upstream wants credentials, or refuses the ones given';
  if (status === 429) return 'rate limited: slow down, honour Retry-After, or mirror less often';
  if (status >= 500)
    return 'the upstream itself is failing: transient for Ballast, which retries and serves its last good copy';
  return `HTTP ${status}: the upstream refuses this request`;
}

interface BearerChallenge {
  realm: string;
  service?: string;
}

export function parseBearerChallenge(header: string | undefined): BearerChallenge | undefined {
  if (!header || !/^Bearer\s/i.test(header)) return undefined;
  const params = Object.fromEntries(
    [...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]),
  );
  if (!params.realm) return undefined;
  return params.service
    ? { realm: params.realm, service: params.service }
    : { realm: params.realm };
}

async function fetchToken(
  challenge: BearerChallenge,
  repository: string,
  options: HttpGetOptions,
): Promise<{ token: string } | { problem: string }> {
  let url: URL;
  try {
    url = new URL(challenge.realm);
  } catch {
    return { problem: `realm ${challenge.realm} is not a URL` };
  }
  if (challenge.service) url.searchParams.set('service', challenge.service);
  url.searchParams.set('scope', `repository:${repository}:pull`);
  try {
    const response = await httpGet(url, options);
    if (response.status !== 200) return { problem: `HTTP ${response.status}` };
    const body = JSON.parse(response.body.toString('utf8')) as {
      token?: unknown;
      access_token?: unknown;
    };
    const token = typeof body.token === 'string' ? body.token : body.access_token;
    return typeof token === 'string' ? { token } : { problem: 'no token in the answer' };
  } catch (error) {
    return { problem: error instanceof Error ? error.message : String(error) };
  }
}
