import { extractFaultFacts, type FaultFacts } from './fault-facts.ts';

/** What to do about a fault. */
export interface FaultVerdict {
  /** Worth trying the same upstream again (after a backoff, inside the deadline). */
  transient: boolean;
  /** Short stable label for metrics and logs, e.g. 'dns-nxdomain', 'http-503'. */
  cause: string;
  /**
   * Move to the next upstream at once if there is one, and retry this one only when there is
   * none (a name that does not resolve now may well resolve in a second, but another upstream
   * is the quicker way out). Only meaningful for transient faults: a permanent fault never
   * retries the same upstream, and the caller may always try another one.
   */
  tryNextUpstreamFirst: boolean;
}

/** Every field given must match; a list matches any of its members. */
export interface FaultMatch {
  code?: readonly string[];
  errno?: readonly string[];
  stage?: readonly string[];
  name?: readonly string[];
  status?: readonly number[];
  /** Inclusive range of HTTP statuses. */
  statusRange?: readonly [number, number];
  /** Tested against the start of the response body. */
  body?: RegExp;
}

export interface FaultRule extends FaultVerdict {
  match: FaultMatch;
}

const rule = (
  cause: string,
  transient: boolean,
  match: FaultMatch,
  tryNextUpstreamFirst = false,
): FaultRule => Object.freeze({ cause, transient, tryNextUpstreamFirst, match });

const transient = (cause: string, match: FaultMatch) => rule(cause, true, match);
const permanent = (cause: string, match: FaultMatch) => rule(cause, false, match);
const status = (code: number) => ({ code: ['BALLAST_UPSTREAM_STATUS'], status: [code] });
const timeout = (stage: string) => ({ code: ['BALLAST_UPSTREAM_TIMEOUT'], stage: [stage] });
const fiveHundreds = {
  code: ['BALLAST_UPSTREAM_STATUS'],
  statusRange: [500, 599] as const,
};

/**
 * The taxonomy, first match wins: specific rules (bodies, stages) before general ones
 * (status classes). docs/resilience.md shows this table; keep the two in step.
 */
export const faultRules: readonly FaultRule[] = Object.freeze([
  // The client went away or the caller cancelled: retrying helps nobody.
  permanent('aborted', { errno: ['ABORT_ERR'] }),
  permanent('aborted', { name: ['AbortError'] }),

  // DNS. NXDOMAIN/NODATA often clear within seconds (records re-published, a name just made).
  rule('dns-nxdomain', true, { errno: ['ENOTFOUND'] }, true),
  rule('dns-nodata', true, { errno: ['ENODATA'] }, true),
  transient('dns-eai-again', { errno: ['EAI_AGAIN'] }),
  transient('dns-servfail', { errno: ['SERVFAIL', 'ESERVFAIL'] }),
  transient('dns-refused', { errno: ['EREFUSED'] }),
  transient('dns-timeout', { errno: ['ETIMEOUT'] }),
  transient('dns-timeout', timeout('dns')),

  // Connections.
  transient('connect-refused', { errno: ['ECONNREFUSED'] }),
  transient('connection-reset', { errno: ['ECONNRESET'] }),
  transient('socket-closed', { errno: ['UND_ERR_SOCKET', 'UND_ERR_CLOSED'] }),
  transient('connection-aborted', { errno: ['ECONNABORTED'] }),
  transient('broken-pipe', { errno: ['EPIPE'] }),
  transient('host-unreachable', { errno: ['EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN'] }),
  transient('timeout-connect', { errno: ['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT'] }),
  transient('timeout-headers', { errno: ['UND_ERR_HEADERS_TIMEOUT'] }),
  transient('timeout-body', { errno: ['UND_ERR_BODY_TIMEOUT'] }),
  transient('body-truncated', {
    errno: ['UND_ERR_RES_CONTENT_LENGTH_MISMATCH', 'ERR_STREAM_PREMATURE_CLOSE'],
  }),
  transient('timeout', { name: ['TimeoutError'] }),

  // TLS: a handshake that stalls is transient, a certificate that does not verify is not.
  transient('timeout-tls', timeout('tls')),
  permanent('tls-certificate', {
    errno: [
      'CERT_HAS_EXPIRED',
      'CERT_NOT_YET_VALID',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'ERR_TLS_CERT_ALTNAME_INVALID',
    ],
  }),

  // Ballast's own timeouts, by stage.
  transient('timeout-connect', timeout('connect')),
  transient('timeout-headers', timeout('headers')),
  transient('timeout-body', timeout('body')),
  transient('timeout', { code: ['BALLAST_UPSTREAM_TIMEOUT'] }),

  // Control-plane errors in 5xx bodies (Kubernetes API / etcd during a leader election).
  transient('etcd-leader-changed', { ...fiveHundreds, body: /etcdserver: leader changed/i }),
  transient('etcd-request-timed-out', { ...fiveHundreds, body: /etcdserver: request timed out/i }),
  transient('etcd-too-many-requests', {
    ...fiveHundreds,
    body: /etcdserver: too many requests/i,
  }),

  // HTTP statuses.
  transient('http-408', status(408)),
  transient('http-425', status(425)),
  transient('http-429', status(429)),
  transient('http-500', status(500)),
  transient('http-502', status(502)),
  transient('http-503', status(503)),
  transient('http-504', status(504)),
  permanent('http-501', status(501)),
  permanent('http-505', status(505)),
  transient('http-5xx', fiveHundreds),
  permanent('http-401', status(401)),
  permanent('http-403', status(403)),
  permanent('http-404', status(404)),
  permanent('http-410', status(410)),
  permanent('http-4xx', { code: ['BALLAST_UPSTREAM_STATUS'], statusRange: [400, 499] }),
  permanent('http-other', { code: ['BALLAST_UPSTREAM_STATUS'] }),

  // Content that arrived but is wrong: another upstream may have it right.
  permanent('digest-mismatch', { code: ['BALLAST_DIGEST_MISMATCH'] }),
  permanent('index-invalid', { code: ['BALLAST_INDEX_INVALID'] }),
  permanent('index-refused', { code: ['BALLAST_INDEX_REFUSED'] }),
  permanent('body-too-large', { code: ['BALLAST_BODY_TOO_LARGE'] }),
  permanent('too-many-redirects', { code: ['BALLAST_TOO_MANY_REDIRECTS'] }),
  permanent('chart-host-not-allowed', { code: ['BALLAST_CHART_HOST_NOT_ALLOWED'] }),
  permanent('redirect-host-not-allowed', { code: ['BALLAST_REDIRECT_HOST_NOT_ALLOWED'] }),

  // The object store (S3), as its edge translates what the SDK throws.
  transient('store-unavailable', { code: ['BALLAST_STORE_UNAVAILABLE'] }),
  permanent('store-conflict', { code: ['BALLAST_STORE_CONFLICT'] }),
  permanent('store-failed', { code: ['BALLAST_STORE_FAILED'] }),

  // Ballast's own breaker skipped the host: it will let a probe through after its cool-down.
  rule('breaker-open', true, { errno: ['BREAKER_OPEN'] }, true),

  // The client could not reach the host for a reason no rule above names.
  transient('unreachable', { code: ['BALLAST_UPSTREAM_UNREACHABLE'] }),
]);

const unknownVerdict: FaultVerdict = Object.freeze({
  transient: false,
  cause: 'unknown',
  tryNextUpstreamFirst: false,
});

export function classifyFault(
  error: unknown,
  rules: readonly FaultRule[] = faultRules,
): FaultVerdict {
  return classifyFacts(extractFaultFacts(error), rules);
}

export function classifyFacts(
  facts: FaultFacts,
  rules: readonly FaultRule[] = faultRules,
): FaultVerdict {
  const found = rules.find((candidate) => matches(candidate.match, facts));
  if (!found) return unknownVerdict;
  const { transient: isTransient, cause, tryNextUpstreamFirst } = found;
  return { transient: isTransient, cause, tryNextUpstreamFirst };
}

function matches(match: FaultMatch, facts: FaultFacts): boolean {
  if (match.code && !includes(match.code, facts.code)) return false;
  if (match.errno && !includes(match.errno, facts.errno)) return false;
  if (match.stage && !includes(match.stage, facts.stage)) return false;
  if (match.name && !includes(match.name, facts.name)) return false;
  if (
    match.status &&
    (facts.statusCode === undefined || !match.status.includes(facts.statusCode))
  ) {
    return false;
  }
  if (match.statusRange) {
    const [from, to] = match.statusRange;
    if (facts.statusCode === undefined || facts.statusCode < from || facts.statusCode > to) {
      return false;
    }
  }
  if (match.body && (facts.body === undefined || !match.body.test(facts.body))) return false;
  return true;
}

function includes(list: readonly string[], value: string | undefined): boolean {
  return value !== undefined && list.includes(value);
}
