import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { requireExecutable } from './support/debian-peers.ts';
import { type Dnsmasq, startDnsmasq } from './support/dnsmasq.ts';
import { json, runDoctor } from './support/doctor-cli.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

interface UpstreamReport {
  exitCode: number;
  stages: Array<{ stage: string; status: string; summary: string; details: string[] }>;
  firstFailure?: { stage: string; meaning?: string };
  findings: Array<{ rule: string; message: string }>;
}

/**
 * Certificates made for the test with the openssl command (Debian's openssl): a CA, leaves it
 * signed (valid, expiring, expired, for another name) and a self-signed leaf. `-days -1`
 * gives a certificate whose notAfter is already past.
 */
function makeCertificates(dir: string) {
  const openssl = requireExecutable('/usr/bin/openssl', 'openssl');
  const run = (...args: string[]) => execFileSync(openssl, args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=Ballast Test CA',
  );
  const leaf = (name: string, days: string, names: string) => {
    run(
      'req',
      '-new',
      ...ec,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${name}`,
    );
    writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${names}\n`);
    run(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      days,
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  };
  leaf('valid', '30', 'DNS:repo.test,DNS:localhost,IP:127.0.0.1');
  leaf('expiring', '3', 'DNS:repo.test,IP:127.0.0.1');
  leaf('expired', '-1', 'DNS:repo.test,IP:127.0.0.1');
  leaf('other', '30', 'DNS:other.test');
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'self.key',
    '-out',
    'self.pem',
    '-days',
    '30',
    '-subj',
    '/CN=repo.test',
    '-addext',
    'subjectAltName=DNS:repo.test,IP:127.0.0.1',
  );
  const pair = (name: string) => ({
    key: readFileSync(join(dir, `${name}.key`)),
    cert: readFileSync(join(dir, `${name}.pem`)),
  });
  return {
    ca: join(dir, 'ca.pem'),
    valid: pair('valid'),
    expiring: pair('expiring'),
    expired: pair('expired'),
    other: pair('other'),
    self: pair('self'),
  };
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
