import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Finding } from '../../findings.ts';
import type { ClusterDnsAddress } from '../corefile/corefile-roles.ts';
import { lintText } from './lint-test-kit.ts';

const lint = (text: string, corednsVersion?: string, clusterDns?: ClusterDnsAddress) =>
  lintText(text, clusterDns, corednsVersion);

const hits = (findings: readonly Finding[]) =>
  findings.map((f) => `${f.rule}:${f.position?.line}:${f.severity}`).sort();

describe('what a CoreDNS release loads', () => {
  const kubernetesOptions = `.:53 {
  kubernetes cluster.local {
    upstream
    resyncperiod 30s
  }
  cache 30
}
`;
  it('takes kubernetes upstream as working, then ignored, then refused', () => {
    assert.deepEqual(hits(lint(kubernetesOptions, '1.4.0')), []);
    assert.deepEqual(hits(lint(kubernetesOptions, '1.6.0')), [
      'option-ignored:3:warning',
      'option-ignored:4:warning',
    ]);
    assert.deepEqual(hits(lint(kubernetesOptions, '1.7.0')), [
      'option-removed:3:error',
      'option-removed:4:error',
    ]);
  });

  it('refuses plugins before they came and after they went', () => {
    const text = '.:53 {\n  proxy . 8.8.8.8\n  multisocket\n  cache 30\n}\n';
    assert.deepEqual(hits(lint(text, '1.4.0')), ['plugin-too-new:3:error']);
    assert.deepEqual(hits(lint(text, '1.12.0')), ['plugin-removed:2:error']);
    assert.match(
      lint(text, '1.12.0')[0]?.message ?? '',
      /removed in CoreDNS 1\.5\.0: 1\.12\.0 refuses/,
    );
  });

  it('refuses a cache TTL of zero or less, also in success and denial', () => {
    assert.deepEqual(hits(lint('.:53 {\n  cache 0\n  whoami\n}\n')), [
      'plugin-value-refused:2:error',
    ]);
    assert.deepEqual(
      hits(
        lint('.:53 {\n  cache 30 {\n    success 9984 0\n    denial 9984 -5\n  }\n  whoami\n}\n'),
      ),
      ['plugin-value-refused:3:error', 'plugin-value-refused:4:error'],
    );
    assert.deepEqual(
      hits(lint('.:53 {\n  cache 1 example.org {\n    success 9984\n  }\n  whoami\n}\n')),
      [],
    );
  });

  it('accepts DNS over HTTPS and host names only from the release that brought them', () => {
    const text = '.:53 {\n  cache 30\n  forward . https://9.9.9.9 dns.quad9.net\n}\n';
    assert.deepEqual(hits(lint(text)), []);
    assert.deepEqual(hits(lint(text, '1.14.4')), ['forward-target-invalid:3:error']);
    assert.deepEqual(hits(lint(text, '1.14.3')), [
      'forward-target-invalid:3:error',
      'forward-target-invalid:3:error',
    ]);
  });
});

describe('layouts that work as designed', () => {
  it('lets NodeLocal DNSCache that binds the cluster DNS IP forward elsewhere', () => {
    const nodeLocal = (bind: string) =>
      `cluster.local:53 {\n  cache 30\n  bind ${bind}\n  forward . 10.96.100.7\n}\n`;
    const clusterDns = { host: '10.96.0.10' };
    assert.deepEqual(hits(lint(nodeLocal('169.254.20.10 10.96.0.10'), undefined, clusterDns)), []);
    assert.deepEqual(hits(lint(nodeLocal('169.254.20.10'), undefined, clusterDns)), [
      'nodelocal-upstream-mismatch:4:warning',
    ]);
  });

  it('does not warn of a resolv.conf loop into a block no resolver can reach', () => {
    const block = (port: number) => `.:${port} {\n  cache 30\n  forward . /etc/resolv.conf\n}\n`;
    assert.deepEqual(hits(lint(block(53))), ['forward-resolv-conf-unguarded:3:warning']);
    assert.deepEqual(hits(lint(block(5353))), ['forward-resolv-conf:3:info']);
  });

  it('flags a rewrite into the cluster domain only where the block sends it out', () => {
    const rewrite = (forward: string, extra = '') =>
      `example.com:53 {\n  rewrite name suffix .example.com .default.svc.cluster.local\n  cache 30\n  loop\n${extra}  forward . ${forward}\n}\n`;
    assert.deepEqual(hits(lint(rewrite('/etc/resolv.conf'))), [
      'forward-resolv-conf:5:info',
      'rewrite-cluster-name-leaves:2:error',
    ]);
    assert.deepEqual(hits(lint(rewrite('10.96.0.10'), undefined, { host: '10.96.0.10' })), []);
    // Without --cluster-dns an address may be the cluster DNS: no claim.
    assert.deepEqual(hits(lint(rewrite('10.96.0.10'))), ['stub-single-server:5:info']);
    assert.deepEqual(hits(lint(rewrite('/etc/resolv.conf', '  kubernetes cluster.local\n'))), [
      'forward-resolv-conf:6:info',
    ]);
  });

  it('finds a CoreDNS stub zone that forwards to the cluster DNS Service, i.e. to itself', () => {
    const corefile = (extra: string) =>
      `mydomain.tld:53 {\n  cache 30\n${extra}  forward . 10.233.0.3\n}\n.:53 {\n  kubernetes cluster.local\n  cache 30\n  forward . 8.8.8.8 8.8.4.4\n}\n`;
    const clusterDns = { host: '10.233.0.3' };
    assert.deepEqual(hits(lint(corefile(''), undefined, clusterDns)), [
      'forward-self-loop:3:error',
    ]);
    const rewritten = '  rewrite name exact www.mydomain.tld web.default.svc.cluster.local\n';
    assert.deepEqual(hits(lint(corefile(rewritten), undefined, clusterDns)), []);
    // A rewrite for another zone leaves mydomain.tld looping.
    const elsewhere = '  rewrite stop name website.tld website.namespace.svc.cluster.local\n';
    assert.deepEqual(hits(lint(corefile(elsewhere), undefined, clusterDns)), [
      'forward-self-loop:4:error',
    ]);
    // kubespray's documented order, `name stop`, makes plugin/rewrite read stop as a match type.
    const refused = '  rewrite name stop website.tld website.namespace.svc.cluster.local\n';
    assert.deepEqual(hits(lint(corefile(refused), undefined, clusterDns)), [
      'plugin-value-refused:3:error',
    ]);
  });
});
