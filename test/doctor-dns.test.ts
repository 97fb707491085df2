import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { json, runDoctor } from './support/doctor-cli.ts';
import { tempDir } from './support/temp-dir.ts';

const fixture = (name: string) => `test/fixtures/corefiles/${name}`;

interface Report {
  exitCode: number;
  findings: Array<{
    rule: string;
    severity: string;
    message: string;
    fix: string;
    position?: { file: string; line: number; column: number };
  }>;
  traces: Array<{
    input: string;
    glibc: string[];
    musl: string[];
    queries: Array<{
      name: string;
      type: string;
      hops: Array<{ server: string; block?: string; outcome: string }>;
    }>;
  }>;
  error?: { code: string; message: string; file?: string; line?: number; column?: number };
}

describe('ballast doctor dns (static)', () => {
  it('exits 0 on the kubeadm default Corefile', async () => {
    const run = await runDoctor(['dns', '--corefile', fixture('kubeadm-default.Corefile')]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /0 errors, 0 warnings, 1 note/);
  });

  it('names both problems of incident E with file and line, and traces the name through both Corefiles', async () => {
    const run = await runDoctor([
      'dns',
      '--corefile',
      fixture('incident-nodelocal.yaml'),
      '--corefile',
      fixture('incident-coredns.yaml'),
      '--resolv-conf',
      fixture('incident-pod-resolv.conf'),
      '--cluster-dns',
      '10.96.0.10',
      '--trace',
      'api.corp.example',
      '--json',
    ]);
    assert.equal(run.code, 1, run.stderr);
    const report = json<Report>(run);
    const where = (rule: string) =>
      report.findings
        .filter((f) => f.rule === rule)
        .map((f) => `${f.position?.file}:${f.position?.line}`);
    assert.deepEqual(where('plugin-duplicate'), [`${fixture('incident-coredns.yaml')}:23`]);
    assert.deepEqual(where('stub-single-server'), [`${fixture('incident-coredns.yaml')}:31`]);
    const asGiven = report.traces[0]?.queries.find(
      (q) => q.name === 'api.corp.example.' && q.type === 'A',
    );
    assert.deepEqual(
      asGiven?.hops.map((h) => [h.server.split(' (')[0], h.block, h.outcome]),
      [
        ['NodeLocal DNSCache', '.:53', 'forward'],
        ['CoreDNS', 'corp.example:53', 'forward'],
      ],
    );
    assert.equal(report.traces[0]?.glibc.length, 4);
  });

  it('prints the findings first, aligned, without colour in a pipe and with FORCE_COLOR', async () => {
    const args = ['dns', '--corefile', fixture('legacy-mistakes.Corefile')];
    const plain = await runDoctor(args);
    assert.equal(plain.code, 1);
    const lines = plain.stdout.split('\n');
    assert.match(lines[0] ?? '', /^ballast doctor dns: 7 errors, 1 warning, 2 notes$/);
    assert.match(
      lines[2] ?? '',
      /^error {4}key-brace-no-space {5}test\/fixtures\/corefiles\/legacy-mistakes\.Corefile:2:1$/,
    );
    assert.ok(plain.stdout.indexOf('error ') < plain.stdout.indexOf('Inputs'));
    assert.ok(!plain.stdout.includes('\u001b['));
    const coloured = await runDoctor(args, { env: { FORCE_COLOR: '1' } });
    assert.ok(coloured.stdout.includes('\u001b[31merror'));
    const noColour = await runDoctor(args, { env: { FORCE_COLOR: '1', NO_COLOR: '1' } });
    assert.ok(!noColour.stdout.includes('\u001b['));
  });

  it("shows where glibc and musl part ways on a resolv.conf past musl's limits", async () => {
    const run = await runDoctor([
      'dns',
      '--resolv-conf',
      fixture('pod-resolv-musl-limits.conf'),
      '--trace',
      'api.github.com',
      '--json',
    ]);
    assert.equal(run.code, 1);
    const report = json<Report>(run);
    assert.deepEqual([...new Set(report.findings.map((f) => f.rule))].sort(), [
      'resolv-line-too-long',
      'resolv-ndots-cost',
      'resolv-option-ignored-musl',
      'resolv-search-too-many',
      'resolv-too-many-nameservers',
    ]);
    // musl drops the overlong search line, so it asks the name alone; glibc walks 10 search domains first.
    assert.deepEqual(report.traces[0]?.musl, ['api.github.com.']);
    assert.equal(report.traces[0]?.glibc.length, 11);
  });

  it('reads a ConfigMap from standard input', async () => {
    const { readFile } = await import('node:fs/promises');
    const run = await runDoctor(['dns', '--corefile', '-', '--json'], {
      stdin: await readFile(fixture('incident-coredns.yaml')),
    });
    assert.equal(run.code, 1);
    assert.deepEqual(
      json<Report>(run).findings.find((f) => f.rule === 'plugin-duplicate')?.position,
      { file: '<stdin>', line: 23, column: 9 },
    );
  });

  it('resolves imports, snippets and environment variables', async () => {
    const run = await runDoctor(
      ['dns', '--corefile', fixture('snippets-and-imports.Corefile'), '--json'],
      { env: { UPSTREAM_DNS: '10.50.0.1' } },
    );
    assert.equal(run.code, 0, run.stdout);
    const unset = await runDoctor(
      ['dns', '--corefile', fixture('snippets-and-imports.Corefile'), '--json'],
      { env: { UPSTREAM_DNS: undefined } },
    );
    assert.deepEqual(
      json<Report>(unset)
        .findings.map((f) => f.rule)
        .sort(),
      ['env-unset', 'forward-target-invalid'],
    );
  });
});

describe('ballast doctor dns on bad input: a clear error and exit code 2', () => {
  const expectFailure = async (args: string[], code: string, message: RegExp, stdin?: Buffer) => {
    const run = await runDoctor([...args, '--json'], { stdin });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    const report = json<Report>(run);
    assert.equal(report.error?.code, code);
    assert.match(report.error?.message ?? '', message);
    assert.match(run.stderr, new RegExp(code));
    assert.doesNotMatch(run.stderr, /at .*\.ts:\d+/, 'no stack trace for bad input');
    return report;
  };

  it('binary garbage', async (t) => {
    const dir = await tempDir('doctor-garbage', t);
    const file = join(dir, 'garbage');
    const bytes = Buffer.alloc(4096);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7919 + 13) % 256;
    await writeFile(file, bytes);
    await expectFailure(['dns', '--corefile', file], 'BALLAST_DOCTOR_INPUT_NOT_TEXT', /not text/);
    await expectFailure(
      ['dns', '--corefile', '-'],
      'BALLAST_DOCTOR_INPUT_NOT_TEXT',
      /<stdin> is not text/,
      bytes,
    );
  });

  it('an unterminated block', async () => {
    const report = await expectFailure(
      ['dns', '--corefile', fixture('unterminated.Corefile')],
      'BALLAST_DOCTOR_COREFILE_SYNTAX',
      /never closed/,
    );
    assert.deepEqual(
      [report.error?.file, report.error?.line, report.error?.column],
      [fixture('unterminated.Corefile'), 1, 6],
    );
  });

  it('an import cycle', async () => {
    await expectFailure(
      ['dns', '--corefile', fixture('cycle/a.Corefile')],
      'BALLAST_DOCTOR_COREFILE_SYNTAX',
      /import cycle: .*a\.Corefile -> .*b\.Corefile -> .*a\.Corefile/,
    );
  });

  it('a 10 MB Corefile, from a file and from standard input', async (t) => {
    const dir = await tempDir('doctor-large', t);
    const file = join(dir, 'Corefile');
    const block = '.:53 {\n    errors\n    forward . 10.0.0.1\n}\n';
    const big = Buffer.from(block.repeat(Math.ceil((10 * 1024 * 1024) / block.length)));
    await writeFile(file, big);
    const started = performance.now();
    await expectFailure(
      ['dns', '--corefile', file],
      'BALLAST_DOCTOR_INPUT_TOO_LARGE',
      /larger than 1048576 bytes/,
    );
    await expectFailure(
      ['dns', '--corefile', '-'],
      'BALLAST_DOCTOR_INPUT_TOO_LARGE',
      /<stdin> is larger/,
      big,
    );
    assert.ok(performance.now() - started < 20_000);
  });

  it('a ConfigMap without a Corefile', async () => {
    await expectFailure(
      ['dns', '--corefile', fixture('no-corefile-configmap.yaml')],
      'BALLAST_DOCTOR_CONFIGMAP_INVALID',
      /no ConfigMap has a Corefile key/,
    );
  });

  it('a missing file, no input at all, and bad arguments', async () => {
    await expectFailure(
      ['dns', '--corefile', 'no/such/Corefile'],
      'BALLAST_DOCTOR_INPUT_UNREADABLE',
      /no such file/,
    );
    await expectFailure(['dns'], 'BALLAST_DOCTOR_USAGE', /at least one --corefile/);
    await expectFailure(
      ['dns', '--corefile', fixture('kubeadm-default.Corefile'), '--cluster-dns', 'kube-dns'],
      'BALLAST_DOCTOR_USAGE',
      /not an IP address/,
    );
    const unknown = await runDoctor(['dns', '--no-such-option']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option/);
  });
});
