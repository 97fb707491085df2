import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Dnsmasq, startDnsmasq } from './support/dnsmasq.ts';
import { json, runDoctor } from './support/doctor-cli.ts';
import { pushTestChart as pushChart, type Registry, startRegistry } from './support/registry.ts';

interface UpstreamReport {
  exitCode: number;
  stages: Array<{ stage: string; status: string; summary: string }>;
  firstFailure?: { stage: string; meaning?: string };
  findings: Array<{ rule: string }>;
}

describe('ballast doctor upstream against the reference OCI registry', () => {
  let registry: Registry;
  let dns: Dnsmasq;
  before(async () => {
    [registry, dns] = await Promise.all([
      startRegistry(),
      startDnsmasq({ hosts: { 'registry.test': '127.0.0.1' }, localZones: ['test'] }),
    ]);
    await pushChart(registry, 'charts/demo', '1.0.0');
    await pushChart(registry, 'charts/demo', '1.1.0_build.1');
  });
  after(async () => {
    await Promise.all([registry?.stop(), dns?.stop()]);
  });

  it('lists the tags of a chart repository', async () => {
    const run = await runDoctor([
      'upstream',
      `oci://${registry.host}/charts/demo`,
      '--plain-http',
      '--json',
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = json<UpstreamReport>(run);
    assert.deepEqual(
      report.stages.map((s) => [s.stage, s.status]),
      [
        ['dns', 'ok'],
        ['tcp', 'ok'],
        ['tls', 'skipped'],
        ['http', 'ok'],
        ['payload', 'ok'],
      ],
    );
    assert.equal(report.stages[4]?.summary, 'charts/demo has 2 tags');
    const withChart = json<UpstreamReport>(
      await runDoctor([
        'upstream',
        `oci://${registry.host}/charts`,
        '--chart',
        'demo',
        '--plain-http',
        '--json',
      ]),
    );
    assert.equal(withChart.exitCode, 0);
  });

  it('resolves the registry name through a given DNS server', async () => {
    const run = await runDoctor([
      'upstream',
      `oci://registry.test:${registry.port}/charts/demo`,
      '--plain-http',
      '--no-system-resolver',
      '--dns-server',
      dns.address,
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /PAYLOAD\s+ok\s+\d+ ms\s+charts\/demo has 2 tags/);
  });

  it('names the payload stage for a repository the registry does not have', async () => {
    const report = json<UpstreamReport>(
      await runDoctor([
        'upstream',
        `oci://${registry.host}/charts/missing`,
        '--plain-http',
        '--json',
      ]),
    );
    assert.equal(report.exitCode, 1);
    assert.equal(report.firstFailure?.stage, 'payload');
    assert.match(report.firstFailure?.meaning ?? '', /no such repository/);
  });

  it('names TLS when the registry speaks plain HTTP but the URL expects HTTPS', async () => {
    const report = json<UpstreamReport>(
      await runDoctor(['upstream', `oci://${registry.host}/charts/demo`, '--json']),
    );
    assert.equal(report.firstFailure?.stage, 'tls');
    assert.match(report.firstFailure?.meaning ?? '', /does not speak TLS/);
  });
});
