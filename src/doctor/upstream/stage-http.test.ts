import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBearerChallenge, statusMeaning } from './stage-http.ts';
import { indexUrlOf, parseUpstreamTarget } from './upstream-target.ts';

describe('upstream target and HTTP meanings', () => {
  it('fetches index.yaml the way Helm does: trailing slash forced, query kept', () => {
    assert.equal(
      indexUrlOf(new URL('https://charts.example/repo?token=x')).href,
      'https://charts.example/repo/index.yaml?token=x',
    );
    assert.equal(
      indexUrlOf(new URL('https://charts.example/repo/')).href,
      'https://charts.example/repo/index.yaml',
    );
    assert.equal(
      indexUrlOf(new URL('https://charts.example/custom.yaml')).href,
      'https://charts.example/custom.yaml',
    );
  });
  it('reads oci:// targets with default ports and the repository to list', () => {
    const target = parseUpstreamTarget('oci://ghcr.io/org/charts', { chart: 'app' });
    assert.deepEqual(
      [target.kind, target.tls, target.port, target.repository, target.probeUrl.href],
      ['oci', true, 443, 'org/charts/app', 'https://ghcr.io/v2/'],
    );
    assert.equal(parseUpstreamTarget('oci://[::1]:5000/x', { plainHttp: true }).host, '::1');
  });
  it('parses a registry Bearer challenge', () => {
    assert.deepEqual(
      parseBearerChallenge(
        'Bearer realm="https://auth.example/token",service="registry.example",scope="x"',
      ),
      { realm: 'https://auth.example/token', service: 'registry.example' },
    );
    assert.equal(parseBearerChallenge('Basic realm="x"'), undefined);
  });
  it('says what a status usually means', () => {
    assert.match(statusMeaning(404, '', 'classic'), /gh-pages/);
    assert.match(statusMeaning(503, 'etcdserver: request timed out', 'classic'), /etcd/);
    assert.match(statusMeaning(429, '', 'oci'), /rate limited/);
    assert.match(statusMeaning(403, '', 'oci'), /credentials/);
  });
});
