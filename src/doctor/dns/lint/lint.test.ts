import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Finding } from '../../findings.ts';
import { newestKnownVersion } from '../corefile/coredns-versions.ts';
import { parseCorefile } from '../corefile/corefile-parser.ts';
import { type ClusterDnsAddress, clusterDomainOf, detectRole } from '../corefile/corefile-roles.ts';
import { loadDnsInputs } from '../input/load-inputs.ts';
import { parseResolvConf } from '../resolv/resolv-conf.ts';
import { traceName } from '../trace/trace.ts';
import { lintCorefile, lintResolvConf } from './lint.ts';
import { lintText } from './lint-test-kit.ts';

const cwd = fileURLToPath(new URL('../../../../test/fixtures/corefiles/', import.meta.url));
const noStdin = () => Promise.reject(new Error('no stdin in this test'));

async function lintFixture(file: string, clusterDns?: ClusterDnsAddress): Promise<Finding[]> {
  const inputs = await loadDnsInputs([file], undefined, { cwd, env: {}, readStdin: noStdin });
  const clusterDomain = clusterDomainOf(inputs.corefiles.map((c) => c.corefile));
  return inputs.corefiles.flatMap(({ corefile, role }) =>
    lintCorefile({ corefile, role, clusterDns, clusterDomain, corednsVersion: newestKnownVersion }),
  );
}

const ids = (findings: readonly Finding[]) => findings.map((f) => f.rule).sort();
const at = (findings: readonly Finding[], rule: string) =>
  findings.filter((f) => f.rule === rule).map((f) => `${f.position?.file}:${f.position?.line}`);

describe('Corefile lint rules on the corpus', () => {
  it('finds nothing but a note in the kubeadm default, plain or as a ConfigMap', async () => {
    assert.deepEqual(ids(await lintFixture('kubeadm-default.Corefile')), ['forward-resolv-conf']);
    assert.deepEqual(at(await lintFixture('kubeadm-configmap.yaml'), 'forward-resolv-conf'), [
      'kubeadm-configmap.yaml:20',
    ]);
  });

  it('names both halves of incident E with file and line', async () => {
    const coredns = await lintFixture('incident-coredns.yaml');
    assert.deepEqual(at(coredns, 'plugin-duplicate'), ['incident-coredns.yaml:23']);
    assert.deepEqual(at(coredns, 'stub-single-server'), ['incident-coredns.yaml:31']);
    const nodelocal = await lintFixture('incident-nodelocal.yaml', { host: '10.96.0.10' });
    assert.deepEqual(ids(nodelocal), []);
    const elsewhere = await lintFixture('incident-nodelocal.yaml', { host: '10.96.0.99' });
    assert.deepEqual(at(elsewhere, 'nodelocal-upstream-mismatch'), [
      'incident-nodelocal.yaml:19',
      'incident-nodelocal.yaml:31',
      'incident-nodelocal.yaml:42',
    ]);
  });

  it('finds the legacy mistakes', async () => {
    const findings = await lintFixture('legacy-mistakes.Corefile');
    assert.deepEqual(
      [...new Set(ids(findings))],
      [
        'forward-shadowed',
        'forward-without-cache',
        'key-brace-no-space',
        'option-removed',
        'plugin-duplicate',
        'plugin-removed',
        'stub-single-server',
        'zone-duplicate',
      ],
    );
    assert.deepEqual(at(findings, 'forward-shadowed'), ['legacy-mistakes.Corefile:11']);
    assert.deepEqual(at(findings, 'zone-duplicate'), ['legacy-mistakes.Corefile:18']);
  });

  it('reads kubespray stub zones and k3s imports without complaint', async () => {
    assert.deepEqual(ids(await lintFixture('kubespray-stub-zones.yaml')), ['forward-resolv-conf']);
    assert.deepEqual(ids(await lintFixture('k3s-coredns.yaml')), ['forward-resolv-conf']);
  });

  it('tells placeholders to replace from those node-cache fills in', async () => {
    const findings = await lintFixture('nodelocal-unrendered.Corefile');
    assert.equal(findings.filter((f) => f.rule === 'pillar-placeholder').length, 6);
    assert.deepEqual(at(findings, 'pillar-placeholder-runtime'), [
      'nodelocal-unrendered.Corefile:10',
      'nodelocal-unrendered.Corefile:22',
    ]);
  });
});

describe('Corefile lint rules one by one', () => {
  it('forward to a resolv.conf without loop is a warning, with loop a note', () => {
    assert.deepEqual(ids(lintText('.:53 {\n  cache\n  forward . /etc/resolv.conf\n}\n')), [
      'forward-resolv-conf-unguarded',
    ]);
    assert.deepEqual(ids(lintText('.:53 {\n  cache\n  loop\n  forward . /etc/resolv.conf\n}\n')), [
      'forward-resolv-conf',
    ]);
  });
  it("a forward to this block's own address loops", () => {
    assert.deepEqual(ids(lintText('.:53 {\n  cache\n  forward . 127.0.0.1 8.8.8.8\n}\n')), [
      'forward-self-loop',
    ]);
    assert.deepEqual(
      ids(lintText('.:53 {\n  bind 10.0.0.5\n  cache\n  forward . 10.0.0.5:53 8.8.8.8\n}\n')),
      ['forward-self-loop'],
    );
    assert.deepEqual(ids(lintText('.:53 {\n  cache\n  forward . 127.0.0.1:5353 8.8.8.8\n}\n')), []);
  });
  it('checks targets, their count, unknown plugins, unset variables and the same zone on other addresses', () => {
    const many = Array.from({ length: 16 }, (_, i) => `10.0.0.${i + 1}`).join(' ');
    assert.deepEqual(ids(lintText(`.:53 {\n  cache\n  forward . ${many}\n}\n`)), [
      'forward-too-many-targets',
    ]);
    const hostName = '.:53 {\n  cache\n  forward . dns.google 8.8.8.8\n}\n';
    assert.deepEqual(ids(lintText(hostName, undefined, '1.14.3')), ['forward-target-invalid']);
    assert.deepEqual(ids(lintText(hostName)), []);
    assert.deepEqual(ids(lintText('.:53 {\n  cache\n  forward . 8.8.8.8:99999\n}\n')), [
      'forward-target-invalid',
    ]);
    assert.deepEqual(ids(lintText('.:53 {\n  cache\n  froward . 8.8.8.8\n}\n')), [
      'plugin-unknown',
    ]);
    assert.deepEqual(ids(lintText('.:53 {\n  whoami\n}\n.:53 {\n  whoami\n}\n')), [
      'zone-duplicate',
    ]);
    assert.deepEqual(
      ids(lintText('.:53 {\n  bind 10.0.0.1\n  whoami\n}\n.:53 {\n  bind 10.0.0.2\n  whoami\n}\n')),
      [],
    );
    const unset = parseCorefile('.:53 {\n  forward . {$NOPE}\n}\n', { label: 'Corefile', env: {} });
    const findings = lintCorefile({
      corefile: unset,
      role: 'other',
      corednsVersion: newestKnownVersion,
      clusterDomain: 'cluster.local.',
    });
    assert.deepEqual(ids(findings), [
      'env-unset',
      'forward-target-invalid',
      'forward-without-cache',
    ]);
  });
});

describe('resolv.conf lint rules', () => {
  it('finds the limits of glibc and musl', () => {
    const conf = parseResolvConf(
      `nameserver 10.96.0.10\nnameserver 1.1.1.1\nnameserver 8.8.8.8\nnameserver 9.9.9.9\nsearch ${Array.from({ length: 8 }, (_, i) => `domain-number-${i}-with-a-long-name.example`).join(' ')}\noptions ndots:20 rotate edns0\n`,
      'resolv.conf',
    );
    const findings = lintResolvConf({
      conf,
      clusterDomain: 'cluster.local.',
      localDnsAddresses: [],
      traces: [],
    });
    assert.deepEqual(ids(findings), [
      'resolv-line-too-long',
      'resolv-ndots-capped',
      'resolv-ndots-high',
      'resolv-option-ignored-musl',
      'resolv-search-missing-cluster-domain',
      'resolv-search-too-many',
      'resolv-too-many-nameservers',
    ]);
  });

  it('counts what ndots costs the traced names, up to where the lookup ends', () => {
    const conf = parseResolvConf(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 10.96.0.10\noptions ndots:5\n',
      'resolv.conf',
    );
    const coredns = parseCorefile(
      '.:53 {\n  kubernetes cluster.local\n  forward . 10.0.0.1\n  cache\n}\n',
      { label: 'Corefile' },
    );
    const corefiles = [{ corefile: coredns, role: detectRole(coredns) }];
    const names = [
      'api.github.com',
      'api.github.com.',
      'web',
      'web.default',
      'web.default.svc.cluster.local',
    ];
    const traces = names.map(
      (name) =>
        traceName(name, { corefiles, clusterDns: { host: '10.96.0.10' }, resolv: conf }).trace,
    );
    const findings = lintResolvConf({
      conf,
      clusterDomain: 'cluster.local.',
      clusterDns: { host: '10.96.0.10' },
      localDnsAddresses: [],
      traces,
    });
    assert.deepEqual(
      findings.map((f) => f.message.split(' ')[0]),
      ['api.github.com', 'web.default.svc.cluster.local'],
    );
    assert.match(
      findings[0]?.message ?? '',
      /sends 6 queries .* before it asks api\.github\.com\.$/,
    );
  });

  it('wants the pod to ask the cluster DNS or NodeLocal DNSCache', () => {
    const conf = parseResolvConf(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 8.8.8.8\noptions ndots:2\n',
      'resolv.conf',
    );
    const lint = (local: string[]) =>
      ids(
        lintResolvConf({
          conf,
          clusterDomain: 'cluster.local.',
          clusterDns: { host: '10.96.0.10' },
          localDnsAddresses: local,
          traces: [],
        }),
      );
    assert.deepEqual(lint([]), ['resolv-nameserver-not-cluster-dns']);
    assert.deepEqual(lint(['8.8.8.8']), []);
    const empty = parseResolvConf('search x.example\n', 'resolv.conf');
    assert.ok(
      ids(
        lintResolvConf({
          conf: empty,
          clusterDomain: 'cluster.local.',
          localDnsAddresses: [],
          traces: [],
        }),
      ).includes('resolv-no-nameserver'),
    );
  });
});
