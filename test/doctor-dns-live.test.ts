import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  type Dnsmasq,
  startDnsmasq,
  startRcodeServer,
  startSilentDnsServer,
  startUdpOnlyServer,
  type TestDnsServer,
} from './support/dnsmasq.ts';
import { json, keepDnsServers, type LiveReport, runDoctor } from './support/doctor-cli.ts';
import { tempDir } from './support/temp-dir.ts';

const keep = keepDnsServers();

const rulesAt = (report: LiveReport, line: number) =>
  report.findings
    .filter((f) => f.position?.line === line)
    .map((f) => f.rule)
    .sort();

describe('doctor dns --live against real dnsmasq on loopback ports', () => {
  let answering: Dnsmasq;
  let different: Dnsmasq;
  let silent: TestDnsServer;
  let refusing: Dnsmasq;
  let servfail: TestDnsServer;
  before(async () => {
    [answering, different, silent, refusing, servfail] = await Promise.all([
      keep(
        startDnsmasq({
          hosts: { 'api.corp.example': '10.0.0.42', 'www.public.example': '203.0.113.7' },
          localZones: [
            'corp.example',
            'public.example',
            'retired.example',
            'refusing.example',
            'failing.example',
          ],
        }),
      ),
      keep(
        startDnsmasq({ hosts: { 'api.corp.example': '10.0.0.9' }, localZones: ['corp.example'] }),
      ),
      keep(startSilentDnsServer()),
      keep(startDnsmasq()),
      keep(startRcodeServer('SERVFAIL')),
    ]);
  });

  it('flags the target that disagrees, the silent one, the refusing one and SERVFAIL', async (t) => {
    const dir = await tempDir('doctor-live', t);
    const corefile = join(dir, 'Corefile');
    await writeFile(
      corefile,
      [
        'corp.example:53 {', //                                   1
        '    cache 30',
        `    forward . ${answering.address} ${different.address}`, // 3
        '}',
        'retired.example:53 {', //                                5
        '    cache 30',
        `    forward . ${silent.address}`, //                     7
        '}',
        'refusing.example:53 {', //                               9
        '    cache 30',
        `    forward . ${refusing.address}`, //                   11
        '}',
        'failing.example:53 {',
        '    cache 30',
        `    forward . ${servfail.address} ${answering.address}`, // 15
        '}',
        '.:53 {',
        '    cache 30',
        `    forward . ${answering.address}`, //                  19
        '}',
        '',
      ].join('\n'),
    );
    const started = performance.now();
    const run = await runDoctor([
      'dns',
      '--corefile',
      corefile,
      '--live',
      '--timeout',
      '400',
      '--trace',
      'www.public.example.',
      '--trace',
      'api.corp.example.',
      '--json',
    ]);
    const elapsed = performance.now() - started;
    assert.equal(run.code, 1, run.stderr);
    const report = json<LiveReport>(run);
    assert.deepEqual(rulesAt(report, 3), ['live-targets-disagree', 'stub-zone-shadows']);
    assert.match(
      report.findings.find((f) => f.rule === 'live-targets-disagree')?.message ?? '',
      new RegExp(`${different.address}: NOERROR A 10\\.0\\.0\\.9`),
    );
    assert.deepEqual(rulesAt(report, 7), ['live-target-silent', 'stub-single-server']);
    assert.deepEqual(rulesAt(report, 11), ['live-target-refused', 'stub-single-server']);
    assert.ok(rulesAt(report, 15).includes('live-target-servfail'));
    assert.deepEqual(rulesAt(report, 19), [], 'the catch-all answers the traced name');
    const verdicts = Object.fromEntries(
      report.live.targets.map((v) => [`${v.target}@${v.position.line}`, v.verdict]),
    );
    assert.equal(verdicts[`${answering.address}@3`], 'ok');
    assert.equal(verdicts[`${silent.address}@7`], 'silent');
    assert.equal(verdicts[`${refusing.address}@11`], 'refused');
    assert.equal(verdicts[`${servfail.address}@15`], 'servfail');
    assert.ok(report.live.queriesSent > 0 && report.live.queriesSent < 200);
    // The silent target costs one timeout per question, asked in parallel.
    assert.ok(elapsed < 15_000, `took ${Math.round(elapsed)} ms`);
  });

  it('answers over UDP and TCP both, and the text report shows them', async (t) => {
    const dir = await tempDir('doctor-live-text', t);
    const corefile = join(dir, 'Corefile');
    await writeFile(
      corefile,
      `corp.example:53 {\n    cache 30\n    forward . ${answering.address} ${silent.address}\n}\n`,
    );
    const run = await runDoctor(['dns', '--corefile', corefile, '--live', '--timeout', '300']);
    assert.equal(run.code, 1);
    assert.match(
      run.stdout,
      new RegExp(
        `${answering.address.replace(/\./g, '\\.')}\\s+forward \\.\\s+\\S+:3:5\\s+ok\\s+corp\\.example\\. A: NOERROR / NOERROR`,
      ),
    );
    assert.match(
      run.stdout,
      /silent\s+corp\.example\. A: no answer \(timeout\) \/ no answer \(timeout\)/,
    );
  });

  it('warns about a target that answers over UDP only, and says so when the forward needs TCP', async (t) => {
    const udpOnly = await keep(startUdpOnlyServer('10.0.0.42'));
    const dir = await tempDir('doctor-live-udp', t);
    const corefile = join(dir, 'Corefile');
    await writeFile(
      corefile,
      `corp.example:53 {\n    cache 30\n    forward . ${udpOnly.address}\n}\nlab.example:53 {\n    cache 30\n    forward . ${udpOnly.address} {\n        force_tcp\n    }\n}\n`,
    );
    const run = await runDoctor([
      'dns',
      '--corefile',
      corefile,
      '--live',
      '--timeout',
      '300',
      '--json',
    ]);
    const report = json<LiveReport>(run);
    assert.deepEqual(rulesAt(report, 3), ['live-transport-silent', 'stub-single-server']);
    const forced = report.findings.find(
      (f) => f.rule === 'live-transport-silent' && f.position?.line === 7,
    );
    assert.match(
      forced?.message ?? '',
      /answers over UDP but not over TCP, and this forward uses force_tcp/,
    );
  });
});
