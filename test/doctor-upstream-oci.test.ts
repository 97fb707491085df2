import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Dnsmasq, startDnsmasq } from './support/dnsmasq.ts';
import { json, runDoctor } from './support/doctor-cli.ts';
import { type Registry, startRegistry } from './support/registry.ts';

interface UpstreamReport {
  exitCode: number;
  stages: Array<{ stage: string; status: string; summary: string }>;
  firstFailure?: { stage: string; meaning?: string };
  findings: Array<{ rule: string }>;
}

const digest = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

/** Pushes a Helm-shaped OCI manifest with the Distribution API, as `helm push` does. */
async function pushChart(registry: Registry, repository: string, tag: string): Promise<void> {
  const upload = async (body: Buffer) => {
    const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
    });
    assert.equal(start.status, 202);
    const location = new URL(start.headers.get('location') ?? '', registry.url);
    location.searchParams.set('digest', digest(body));
    const put = await fetch(location, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    assert.equal(put.status, 201, await put.text());
    return { digest: digest(body), size: body.length };
  };
  const config = await upload(
    Buffer.from(JSON.stringify({ name: 'demo', version: tag.replace('_', '+'), apiVersion: 'v2' })),
  );
  const layer = await upload(Buffer.from(`not really a chart ${tag}`));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', ...layer }],
  };
  const put = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: JSON.stringify(manifest),
    headers: { 'content-type': manifest.mediaType },
  });
  assert.equal(put.status, 201, await put.text());
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
