import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type Dnsmasq,
  startDnsmasq,
  startSilentDnsServer,
  type TestDnsServer,
} from './support/dnsmasq.ts';
import { json, runDoctor } from './support/doctor-cli.ts';

interface Stage {
  stage: string;
  status: string;
  summary: string;
  details: string[];
  meaning?: string;
}
interface UpstreamReport {
  exitCode: number;
  stages: Stage[];
  firstFailure?: { stage: string; meaning?: string };
  findings: Array<{ rule: string; message: string }>;
  error?: { code: string; message: string };
}

const index = `apiVersion: v1
entries:
  demo:
  - name: demo
    version: 1.2.3
    urls: [charts/demo-1.2.3.tgz]
    digest: ${'a'.repeat(64)}
  - name: demo
    version: 1.2.2
    urls: [charts/demo-1.2.2.tgz]
    digest: ${'b'.repeat(64)}
  other:
  - name: other
    version: 0.1.0
    urls: [charts/other-0.1.0.tgz]
    digest: ${'c'.repeat(64)}
generated: "2026-01-01T00:00:00Z"
`;

/** A classic repository with the ways real ones break, on 127.0.0.1. */
function repoServer(): Server {
  return createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const send = (status: number, body: string, type = 'application/x-yaml') => {
      res.writeHead(status, { 'content-type': type });
      res.end(body);
    };
    if (path === '/charts/index.yaml') return send(200, index);
    if (path === '/json/index.yaml')
      return send(
        200,
        JSON.stringify({
          apiVersion: 'v1',
          entries: {
            demo: [
              { name: 'demo', version: '1.0.0', urls: ['demo-1.0.0.tgz'], digest: 'd'.repeat(64) },
            ],
          },
        }),
      );
    // Helm would skip these entries, and so would the guard: nothing is left to serve.
    if (path === '/no-urls/index.yaml')
      return send(
        200,
        JSON.stringify({
          apiVersion: 'v1',
          entries: { demo: [{ name: 'demo', version: '1.0.0' }] },
        }),
      );
    if (path === '/empty/index.yaml') return send(200, 'apiVersion: v1\nentries: {}\n');
    if (path === '/broken/index.yaml')
      return send(200, '<html><body>Sign in</body></html>\n  - : :\n', 'text/html');
    if (path === '/duplicate/index.yaml')
      return send(200, 'apiVersion: v1\nentries: {}\nentries: {}\n');
    if (path === '/etcd/index.yaml') return send(500, 'etcdserver: leader changed', 'text/plain');
    if (path === '/moved/index.yaml') {
      res.writeHead(301, { location: '/charts/index.yaml' });
      return res.end();
    }
    return send(404, 'not found', 'text/plain');
  });
}

describe('ballast doctor upstream (classic repositories over HTTP)', () => {
  let server: Server;
  let base: string;
  let port: number;
  let dns: Dnsmasq;
  let otherDns: Dnsmasq;
  let silentDns: TestDnsServer;
  before(async () => {
    server = repoServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    [dns, otherDns, silentDns] = await Promise.all([
      startDnsmasq({ hosts: { 'repo.test': '127.0.0.1' }, localZones: ['test'] }),
      startDnsmasq({ hosts: { 'repo.test': '127.0.0.2' }, localZones: ['test'] }),
      startSilentDnsServer(),
    ]);
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await Promise.all([dns.stop(), otherDns.stop(), silentDns.stop()]);
  });

  const stage = (report: UpstreamReport, name: string) =>
    report.stages.find((s) => s.stage === name);

  it('passes every stage of a healthy repository and counts its charts', async () => {
    const run = await runDoctor(['upstream', `${base}/charts`, '--json']);
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
    assert.equal(stage(report, 'payload')?.summary, 'index.yaml lists 2 charts, 3 versions');
    const redirected = json<UpstreamReport>(
      await runDoctor(['upstream', `${base}/moved/`, '--json']),
    );
    assert.equal(redirected.exitCode, 0);
    assert.match(
      stage(redirected, 'http')?.details.join(' ') ?? '',
      /301 .*\/moved\/index\.yaml -> \/charts\/index\.yaml/,
    );
    assert.equal(
      json<UpstreamReport>(await runDoctor(['upstream', `${base}/json`, '--json'])).exitCode,
      0,
    );
  });

  it('uses the system resolver for localhost, and each --dns-server on its own', async () => {
    const local = json<UpstreamReport>(
      await runDoctor(['upstream', `http://localhost:${port}/charts`, '--json']),
    );
    assert.equal(local.exitCode, 0);
    assert.match(stage(local, 'dns')?.details.join() ?? '', /system resolver: 127\.0\.0\.1/);
    const run = await runDoctor([
      'upstream',
      `http://repo.test:${port}/charts`,
      '--no-system-resolver',
      '--dns-server',
      dns.address,
    ]);
    assert.equal(run.code, 0, run.stdout);
    assert.match(run.stdout, /DNS\s+ok\s+\d+ ms\s+repo\.test → 127\.0\.0\.1/);
    assert.match(run.stdout, /Every stage passes/);
  });

  it('names DNS as the failing stage for a name that does not exist', async () => {
    const run = await runDoctor([
      'upstream',
      `http://gone.test:${port}/charts`,
      '--no-system-resolver',
      '--dns-server',
      dns.address,
      '--json',
    ]);
    assert.equal(run.code, 1);
    const report = json<UpstreamReport>(run);
    assert.equal(report.firstFailure?.stage, 'dns');
    assert.match(report.firstFailure?.meaning ?? '', /NXDOMAIN/);
    assert.deepEqual(
      report.stages.map((s) => s.status),
      ['fail', 'skipped', 'skipped', 'skipped', 'skipped'],
    );
    assert.deepEqual(
      report.findings.map((f) => f.rule),
      ['upstream-dns-failed'],
    );
  });

  it('warns when resolvers disagree or one of them is silent', async () => {
    const run = await runDoctor([
      'upstream',
      `http://repo.test:${port}/charts`,
      '--no-system-resolver',
      '--dns-server',
      dns.address,
      '--dns-server',
      otherDns.address,
      '--dns-server',
      silentDns.address,
      '--timeout',
      '500',
      '--json',
    ]);
    assert.equal(run.code, 1);
    const report = json<UpstreamReport>(run);
    assert.deepEqual(report.findings.map((f) => f.rule).sort(), [
      'upstream-dns-disagree',
      'upstream-resolver-failed',
    ]);
    assert.match(
      report.findings.find((f) => f.rule === 'upstream-resolver-failed')?.message ?? '',
      /timeout/,
    );
    assert.equal(
      stage(report, 'payload')?.status,
      'ok',
      "the first resolver's address still works",
    );
  });

  it('names TCP when nothing listens', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const report = json<UpstreamReport>(
      await runDoctor(['upstream', `http://127.0.0.1:${closedPort}/`, '--json']),
    );
    assert.equal(report.firstFailure?.stage, 'tcp');
    assert.match(report.firstFailure?.meaning ?? '', /nothing listens/);
  });

  it('explains HTTP statuses: a deleted index, and etcd electing a leader', async () => {
    const gone = json<UpstreamReport>(
      await runDoctor(['upstream', `${base}/gh-pages-deleted`, '--json']),
    );
    assert.equal(gone.firstFailure?.stage, 'http');
    assert.match(gone.firstFailure?.meaning ?? '', /gh-pages/);
    const etcd = json<UpstreamReport>(await runDoctor(['upstream', `${base}/etcd`, '--json']));
    assert.match(etcd.firstFailure?.meaning ?? '', /electing a leader/);
  });

  it('names the payload when index.yaml does not parse, has duplicate keys, or is empty', async () => {
    for (const [path, rule] of [
      ['broken', 'upstream-payload-invalid'],
      ['duplicate', 'upstream-payload-invalid'],
      ['empty', 'upstream-payload-empty'],
      // Parsed by the mirror's own parser: entries Helm would skip leave nothing to serve.
      ['no-urls', 'upstream-payload-empty'],
    ]) {
      const run = await runDoctor(['upstream', `${base}/${path}`, '--json']);
      assert.equal(run.code, 1, path);
      const report = json<UpstreamReport>(run);
      assert.equal(report.firstFailure?.stage, 'payload', path);
      assert.deepEqual(
        report.findings.map((f) => f.rule),
        [rule],
        path,
      );
    }
  });

  it('refuses what it cannot check with exit code 2', async () => {
    for (const args of [
      ['ftp://example.test/'],
      ['not a url'],
      [`${base}/charts`, '--dns-server', 'dns.example'],
      ['oci://127.0.0.1:1'],
    ]) {
      const run = await runDoctor(['upstream', ...args, '--json']);
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(json<UpstreamReport>(run).error?.code, 'BALLAST_DOCTOR_USAGE');
    }
  });
});
