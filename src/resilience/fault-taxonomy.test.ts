import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { BallastError } from '../errors/ballast-error.ts';
import { extractFaultFacts } from './fault-facts.ts';
import { classifyFacts, classifyFault, faultRules } from './fault-taxonomy.ts';

const source = 'https://charts.example/index.yaml';
const raw = (code: string, message = code) => Object.assign(new Error(message), { code });
const unreachable = (errno: string) =>
  new BallastError('BALLAST_UPSTREAM_UNREACHABLE', { source, errno, reason: errno });
const timedOut = (stage: string) =>
  new BallastError('BALLAST_UPSTREAM_TIMEOUT', { source, stage, ms: 1000 });
const http = (statusCode: number, bodySnippet?: string, retryAfter?: string) =>
  new BallastError('BALLAST_UPSTREAM_STATUS', { source, statusCode, bodySnippet, retryAfter });
const ballast = (code: 'BALLAST_DIGEST_MISMATCH' | 'BALLAST_INDEX_INVALID') =>
  new BallastError(code, { source, what: 'x', actual: 'a', expected: 'b', reason: 'r' });

type Case = [label: string, error: unknown, cause: string, transient: boolean, nextFirst?: boolean];

const cases: Case[] = [
  ['raw ABORT_ERR', raw('ABORT_ERR'), 'aborted', false],
  ['DOMException AbortError', new DOMException('gone', 'AbortError'), 'aborted', false],
  ['NXDOMAIN (raw)', raw('ENOTFOUND'), 'dns-nxdomain', true, true],
  ['NXDOMAIN (wrapped)', unreachable('ENOTFOUND'), 'dns-nxdomain', true, true],
  ['NODATA', raw('ENODATA'), 'dns-nodata', true, true],
  ['EAI_AGAIN', unreachable('EAI_AGAIN'), 'dns-eai-again', true],
  ['SERVFAIL', unreachable('SERVFAIL'), 'dns-servfail', true],
  ['c-ares ESERVFAIL', raw('ESERVFAIL'), 'dns-servfail', true],
  ['c-ares EREFUSED', raw('EREFUSED'), 'dns-refused', true],
  ['c-ares ETIMEOUT', raw('ETIMEOUT'), 'dns-timeout', true],
  ['dns stage timeout', timedOut('dns'), 'dns-timeout', true],
  ['ECONNREFUSED', unreachable('ECONNREFUSED'), 'connect-refused', true],
  ['ECONNRESET (socket hang up)', raw('ECONNRESET', 'socket hang up'), 'connection-reset', true],
  ['undici socket closed', unreachable('UND_ERR_SOCKET'), 'socket-closed', true],
  ['undici client closed', raw('UND_ERR_CLOSED'), 'socket-closed', true],
  ['ECONNABORTED', unreachable('ECONNABORTED'), 'connection-aborted', true],
  ['EPIPE', unreachable('EPIPE'), 'broken-pipe', true],
  ['EHOSTUNREACH', raw('EHOSTUNREACH'), 'host-unreachable', true],
  ['ETIMEDOUT', unreachable('ETIMEDOUT'), 'timeout-connect', true],
  ['undici connect timeout', raw('UND_ERR_CONNECT_TIMEOUT'), 'timeout-connect', true],
  ['undici headers timeout', raw('UND_ERR_HEADERS_TIMEOUT'), 'timeout-headers', true],
  ['undici body timeout', raw('UND_ERR_BODY_TIMEOUT'), 'timeout-body', true],
  ['content-length mismatch', raw('UND_ERR_RES_CONTENT_LENGTH_MISMATCH'), 'body-truncated', true],
  ['AbortSignal.timeout', new DOMException('late', 'TimeoutError'), 'timeout', true],
  ['TLS handshake timeout', timedOut('tls'), 'timeout-tls', true],
  ['expired certificate', raw('CERT_HAS_EXPIRED'), 'tls-certificate', false],
  ['connect timeout', timedOut('connect'), 'timeout-connect', true],
  ['headers timeout', timedOut('headers'), 'timeout-headers', true],
  ['body timeout', timedOut('body'), 'timeout-body', true],
  ['timeout of another stage', timedOut('queue'), 'timeout', true],
  ['500 leader changed', http(500, 'etcdserver: leader changed'), 'etcd-leader-changed', true],
  [
    '503 request timed out',
    http(503, '{"message":"etcdserver: request timed out"}'),
    'etcd-request-timed-out',
    true,
  ],
  [
    '500 too many requests',
    http(500, 'etcdserver: too many requests'),
    'etcd-too-many-requests',
    true,
  ],
  ['408', http(408), 'http-408', true],
  ['425', http(425), 'http-425', true],
  ['429', http(429, '', '3'), 'http-429', true],
  ['500', http(500, 'oops'), 'http-500', true],
  ['502', http(502), 'http-502', true],
  ['503', http(503), 'http-503', true],
  ['504', http(504), 'http-504', true],
  ['501', http(501), 'http-501', false],
  ['505', http(505), 'http-505', false],
  ['507', http(507), 'http-5xx', true],
  ['401', http(401), 'http-401', false],
  ['403', http(403), 'http-403', false],
  ['404 of a file', http(404), 'http-404', false],
  [
    '404 whose body names etcd stays permanent',
    http(404, 'etcdserver: leader changed'),
    'http-404',
    false,
  ],
  ['410', http(410), 'http-410', false],
  ['418', http(418), 'http-4xx', false],
  ['304 where none was expected', http(304), 'http-other', false],
  ['digest mismatch', ballast('BALLAST_DIGEST_MISMATCH'), 'digest-mismatch', false],
  ['invalid index', ballast('BALLAST_INDEX_INVALID'), 'index-invalid', false],
  [
    'guard refusal',
    new BallastError('BALLAST_INDEX_REFUSED', { source, reason: 'empty' }),
    'index-refused',
    false,
  ],
  [
    'too large',
    new BallastError('BALLAST_BODY_TOO_LARGE', { what: 'index', source, limit: 1 }),
    'body-too-large',
    false,
  ],
  [
    'redirect loop',
    new BallastError('BALLAST_TOO_MANY_REDIRECTS', { source, reason: 'a loop' }),
    'too-many-redirects',
    false,
  ],
  [
    'chart host not allowed',
    new BallastError('BALLAST_CHART_HOST_NOT_ALLOWED', { url: 'u', host: 'h', upstream: 'x' }),
    'chart-host-not-allowed',
    false,
  ],
  [
    'redirect host not allowed',
    new BallastError('BALLAST_REDIRECT_HOST_NOT_ALLOWED', { source, from: 'a', to: 'b' }),
    'redirect-host-not-allowed',
    false,
  ],
  [
    'S3 throttled or failing',
    new BallastError('BALLAST_STORE_UNAVAILABLE', {
      operation: 'GET',
      key: 'k',
      reason: 'SlowDown',
    }),
    'store-unavailable',
    true,
  ],
  [
    'S3 conditional write lost',
    new BallastError('BALLAST_STORE_CONFLICT', { key: 'k', reason: 'changed' }),
    'store-conflict',
    false,
  ],
  [
    'S3 refused (credentials, bucket)',
    new BallastError('BALLAST_STORE_FAILED', {
      operation: 'GET',
      key: 'k',
      reason: 'AccessDenied',
    }),
    'store-failed',
    false,
  ],
  ['breaker open', unreachable('BREAKER_OPEN'), 'breaker-open', true, true],
  ['unreachable, unlisted errno', unreachable('EWEIRD'), 'unreachable', true],
  ['plain Error', new Error('what'), 'unknown', false],
  ['a string', 'boom', 'unknown', false],
  ['undefined', undefined, 'unknown', false],
];

describe('fault taxonomy', () => {
  for (const [label, error, cause, transient, nextFirst = false] of cases) {
    it(`${label} → ${cause}`, () => {
      assert.deepEqual(classifyFault(error), { transient, cause, tryNextUpstreamFirst: nextFirst });
    });
  }

  it('has a case for every rule of the table', () => {
    const hit = new Set<number>();
    for (const [, error] of cases) {
      const facts = extractFaultFacts(error);
      const index = faultRules.findIndex((r) => classifyFacts(facts, [r]).cause !== 'unknown');
      if (index >= 0) hit.add(index);
    }
    const missed = faultRules.filter((_, index) => !hit.has(index)).map((r) => r.cause);
    assert.deepEqual(missed, []);
  });

  it('every cause is documented in docs/resilience.md', async () => {
    const doc = await readFile(new URL('../../docs/resilience.md', import.meta.url), 'utf8');
    const causes = new Set([...faultRules.map((r) => r.cause), 'unknown']);
    assert.deepEqual(
      [...causes].filter((cause) => !doc.includes(`\`${cause}\``)),
      [],
    );
  });

  it('looks through undici fetch wrappers and AggregateErrors to the code', () => {
    const fetchFailed = new TypeError('fetch failed', { cause: raw('ECONNREFUSED') });
    assert.equal(classifyFault(fetchFailed).cause, 'connect-refused');
    const both = new AggregateError([raw('ECONNREFUSED'), raw('ECONNREFUSED')], 'all failed');
    assert.equal(classifyFault(both).cause, 'connect-refused');
    const wrapped = new Error('outer', { cause: unreachable('EAI_AGAIN') });
    assert.equal(classifyFault(wrapped).cause, 'dns-eai-again');
  });

  it('accepts a caller-supplied table', () => {
    const rules = [
      { transient: true, tryNextUpstreamFirst: false, cause: 'custom', match: { errno: ['EFOO'] } },
    ];
    assert.equal(classifyFault(raw('EFOO'), rules).cause, 'custom');
    assert.equal(classifyFault(raw('ECONNRESET'), rules).cause, 'unknown');
  });
});
