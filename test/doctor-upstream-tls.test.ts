import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type Dnsmasq, startDnsmasq } from './support/dnsmasq.ts';
import { json, runDoctor } from './support/doctor-cli.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';
import { makeCertificates } from './support/test-certificates.ts';

interface UpstreamReport {
  exitCode: number;
  stages: Array<{ stage: string; status: string; summary: string; details: string[] }>;
  firstFailure?: { stage: string; meaning?: string };
  findings: Array<{ rule: string; message: string }>;
}

const index = `apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 1.0.0\n    urls: [demo-1.0.0.tgz]\n    digest: ${'a'.repeat(64)}\n`;

describe('ballast doctor upstream over HTTPS', () => {
  let dir: string;
  let dns: Dnsmasq;
  const servers = new Map<string, { server: Server; port: number }>();
  let certificates: ReturnType<typeof makeCertificates>;
  before(async () => {
    dir = await tempDir('doctor-tls');
    certificates = makeCertificates(dir);
    dns = await startDnsmasq({ hosts: { 'repo.test': '127.0.0.1' }, localZones: ['test'] });
    for (const name of ['valid', 'expiring', 'expired', 'other', 'self'] as const) {
      const server = createServer(certificates[name], (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-yaml' });
        res.end(index);
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.set(name, { server, port: (server.address() as AddressInfo).port });
    }
  });
  after(async () => {
    for (const { server } of servers.values())
      await new Promise((resolve) => server.close(resolve));
    await dns.stop();
    await removeDir(dir);
  });

  const check = async (name: string, ...extra: string[]) => {
    const port = servers.get(name)?.port;
    const run = await runDoctor([
      'upstream',
      `https://repo.test:${port}/`,
      '--no-system-resolver',
      '--dns-server',
      dns.address,
      ...extra,
      '--json',
    ]);
    return json<UpstreamReport>(run);
  };

  it('passes with a certificate from a CA given with --ca-file, and shows the chain', async () => {
    const report = await check('valid', '--ca-file', certificates.ca);
    assert.equal(report.exitCode, 0, JSON.stringify(report.findings));
    const tls = report.stages.find((s) => s.stage === 'tls');
    assert.match(tls?.summary ?? '', /trusted certificate for repo\.test, (29|30) days left/);
    assert.match(tls?.details.join('\n') ?? '', /chain valid <- Ballast Test CA/);
    assert.equal(report.stages.find((s) => s.stage === 'payload')?.status, 'ok');
  });

  it('names TLS for a self-signed certificate and says what that means', async () => {
    const report = await check('self');
    assert.equal(report.exitCode, 1);
    assert.equal(report.firstFailure?.stage, 'tls');
    assert.match(report.firstFailure?.meaning ?? '', /self-signed/);
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      ['upstream-tls-untrusted'],
    );
    assert.deepEqual(
      report.stages.slice(3).map((s) => s.status),
      ['skipped', 'skipped'],
    );
  });

  it('names TLS for an expired certificate, even from a trusted CA', async () => {
    const report = await check('expired', '--ca-file', certificates.ca);
    assert.equal(report.firstFailure?.stage, 'tls');
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      ['upstream-tls-expired'],
    );
    assert.match(report.firstFailure?.meaning ?? '', /expired/);
  });

  it('names a certificate for another host', async () => {
    const report = await check('other', '--ca-file', certificates.ca);
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      ['upstream-tls-name-mismatch'],
    );
  });

  it('warns about a certificate that expires within two weeks, and still reads the index', async () => {
    const report = await check('expiring', '--ca-file', certificates.ca);
    assert.equal(report.exitCode, 1);
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      ['upstream-tls-expiring'],
    );
    assert.equal(report.stages.find((s) => s.stage === 'payload')?.status, 'ok');
  });

  it("checks an IP literal against the certificate's IP names", async () => {
    const run = await runDoctor([
      'upstream',
      `https://127.0.0.1:${servers.get('valid')?.port}/`,
      '--ca-file',
      certificates.ca,
      '--json',
    ]);
    assert.equal(json<UpstreamReport>(run).exitCode, 0);
  });
});
