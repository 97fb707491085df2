import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHostPolicy } from './host-policy.ts';

const policy = (hosts: string[], origins?: Set<string>) =>
  createHostPolicy({
    origin: 'https://charts.example.com',
    hosts,
    hostsKey: 'chartHosts',
    ...(origins ? { origins } : {}),
  });
const allows = (url: string, hosts: string[] = [], origins?: Set<string>) =>
  policy(hosts, origins).allows(new URL(url));

test("the upstream's own origin is scheme, host and port", () => {
  assert.ok(allows('https://charts.example.com/a.tgz'));
  assert.ok(allows('https://CHARTS.example.com:443/a.tgz'));
  assert.equal(allows('http://charts.example.com/a.tgz'), false, 'no downgrade to http');
  assert.equal(allows('https://charts.example.com:8443/a.tgz'), false, 'another port');
  assert.equal(allows('https://127.0.0.1/latest/meta-data'), false);
});

test('chartHosts: exact names and *.domain (subdomains only), any port, http or https', () => {
  const hosts = ['github.com', '*.githubusercontent.com'];
  assert.ok(allows('https://github.com/o/r/releases/download/x.tgz', hosts));
  assert.ok(allows('http://github.com:8080/x', hosts));
  assert.ok(allows('https://objects.githubusercontent.com/x', hosts));
  assert.equal(allows('https://githubusercontent.com/x', hosts), false);
  assert.equal(allows('https://evilgithubusercontent.com/x', hosts), false);
  assert.equal(allows('https://github.com.evil.test/x', hosts), false);
});

test('only http and https, whatever the host', () => {
  for (const url of ['file:///etc/passwd', 'ftp://github.com/x', 'gopher://charts.example.com/'])
    assert.equal(allows(url, ['github.com']), false, url);
});

test('origins learned later (token realms) are read at each check, and described', () => {
  const realms = new Set<string>();
  const live = policy([], realms);
  assert.equal(live.allows(new URL('https://auth.example.com/token')), false);
  realms.add('https://auth.example.com');
  assert.ok(live.allows(new URL('https://auth.example.com/token')));
  assert.match(live.describe(), /token realm https:\/\/auth\.example\.com, no chartHosts/);
});
