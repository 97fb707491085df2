import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Dnsmasq, startDnsmasq, startSilentDnsServer } from './support/dnsmasq.ts';
import { json, keepDnsServers, type LiveReport, runDoctor } from './support/doctor-cli.ts';
import { tempDir } from './support/temp-dir.ts';

const keep = keepDnsServers();

describe('incident E on loopback: --trace --live through NodeLocal DNSCache and CoreDNS', () => {
  let coreDnsStandIn: Dnsmasq;
  let retired: Dnsmasq;
  let real: Dnsmasq;
  let dir: string;
  before(async () => {
    [coreDnsStandIn, retired, real] = await Promise.all([
      // Stands in for CoreDNS's ClusterIP: what the pods got, the retired server's stale record.
      keep(
        startDnsmasq({
          hosts: { 'api.corp.example': '10.0.0.9' },
          localZones: ['corp.example', 'cluster.local'],
        }),
      ),
      keep(
        startDnsmasq({ hosts: { 'api.corp.example': '10.0.0.9' }, localZones: ['corp.example'] }),
      ),
      keep(
        startDnsmasq({ hosts: { 'api.corp.example': '10.0.0.42' }, localZones: ['corp.example'] }),
      ),
    ]);
    dir = await tempDir('doctor-incident');
    await writeFile(
      join(dir, 'nodelocal.Corefile'),
      [
        'cluster.local:53 {',
        '    cache 30',
        '    bind 169.254.20.10',
        `    forward . ${coreDnsStandIn.address} {`,
        '        force_tcp',
        '    }',
        '}',
        '.:53 {',
        '    cache 30',
        '    bind 169.254.20.10',
        `    forward . ${coreDnsStandIn.address} {`,
        '        force_tcp',
        '    }',
        '}',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'coredns.Corefile'),
      [
        '.:53 {',
        '    errors',
        '    loop',
        '    kubernetes cluster.local in-addr.arpa ip6.arpa',
        `    forward . ${real.address}`,
        '    cache 30',
        '    loop',
        '}',
        'corp.example:53 {',
        '    cache 30',
        `    forward . ${retired.address}`,
        '}',
        '',
      ].join('\n'),
    );
    await writeFile(
      join(dir, 'resolv.conf'),
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 169.254.20.10\noptions ndots:5\n',
    );
  });
  after(async () => {
    const { rm } = await import('node:fs/promises');
    await rm(dir, { recursive: true, force: true });
  });

  const doctor = () =>
    runDoctor([
      'dns',
      '--corefile',
      join(dir, 'nodelocal.Corefile'),
      '--corefile',
      join(dir, 'coredns.Corefile'),
      '--resolv-conf',
      join(dir, 'resolv.conf'),
      '--cluster-dns',
      coreDnsStandIn.address,
      '--trace',
      'api.corp.example',
      '--live',
      '--timeout',
      '500',
      '--json',
    ]);

  it('shows what each hop answered and names the stub zone that shadows the real record', async () => {
    const run = await doctor();
    assert.equal(run.code, 1, run.stderr);
    const report = json<LiveReport>(run);
    const asGiven = report.traces[0]?.queries.find(
      (q) => q.name === 'api.corp.example.' && q.type === 'A',
    );
    assert.deepEqual(
      asGiven?.hops.map((h) => [h.server.split(' (')[0], h.block]),
      [
        ['NodeLocal DNSCache', '.:53'],
        ['CoreDNS', 'corp.example:53'],
      ],
    );
    const [nodeLocalHop, coreDnsHop] = asGiven?.hops ?? [];
    assert.deepEqual(
      nodeLocalHop?.live?.map((l) => [l.target, l.transport, l.result.rcode, l.result.answers]),
      [[coreDnsStandIn.address, 'tcp', 'NOERROR', ['A 10.0.0.9']]],
    );
    assert.deepEqual(
      coreDnsHop?.live?.map((l) => [l.target, l.transport, l.result.answers]),
      [[retired.address, 'udp', ['A 10.0.0.9']]],
    );
    const shadow = report.findings.find((f) => f.rule === 'stub-zone-shadows');
    assert.ok(shadow, JSON.stringify(report.findings, null, 2));
    assert.equal(shadow.position?.line, 11);
    assert.match(shadow.message, /10\.0\.0\.9.*catch-all forward .* 10\.0\.0\.42/);
    assert.deepEqual(
      report.findings.filter((f) => f.rule === 'plugin-duplicate').map((f) => f.position?.line),
      [7],
    );
  });

  it('is clean again once the retired server serves the current record (hosts re-read on SIGHUP)', async () => {
    await retired.setHosts({ 'api.corp.example': '10.0.0.42' });
    const run = await doctor();
    const report = json<LiveReport>(run);
    assert.equal(
      report.findings.find((f) => f.rule === 'stub-zone-shadows'),
      undefined,
    );
    assert.ok(report.live.shadowing.every((c) => !c.shadows));
    await retired.setHosts({ 'api.corp.example': '10.0.0.9' });
  });

  it('shows the silent retired server at its hop', async (t) => {
    const gone = await keep(startSilentDnsServer());
    const local = await tempDir('doctor-incident-silent', t);
    await writeFile(
      join(local, 'Corefile'),
      `.:53 {\n    cache 30\n    forward . ${real.address}\n}\ncorp.example:53 {\n    cache 30\n    forward . ${gone.address}\n}\n`,
    );
    const run = await runDoctor([
      'dns',
      '--corefile',
      join(local, 'Corefile'),
      '--trace',
      'api.corp.example.',
      '--live',
      '--timeout',
      '300',
    ]);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(`live A    ${gone.address.replace(/\./g, '\\.')} udp: no answer \\(timeout\\)`),
    );
    assert.match(run.stdout, /live-target-silent/);
    assert.match(run.stdout, /stub-zone-shadows/);
  });
});
