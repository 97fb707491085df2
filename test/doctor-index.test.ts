import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { json, runDoctor } from './support/doctor-cli.ts';
import { startStaticServer } from './support/static-server.ts';
import { tempDir } from './support/temp-dir.ts';

const digest = 'c'.repeat(64);

/** One index with one entry of each kind the doctor tells apart. */
const mixed = `apiVersion: v1
entries:
  fine:
  - { name: fine, version: 1.13.000, digest: ${digest}, urls: [fine-1.13.000.tgz] }
  badversion:
  - { name: badversion, version: latest, digest: ${digest}, urls: [b.tgz] }
  nodigest:
  - { name: nodigest, version: 1.0.0, digest: "", urls: [n.tgz] }
  prefixed:
  - name: prefixed
    version: 2.0.0
    digest: sha256:${digest}
    urls: [p.tgz]
  nourl:
  - { name: nourl, version: 1.0.0, digest: ${digest} }
`;

interface Report {
  helm3: { versions: number; refused?: string };
  helm4: { versions: number; refused?: string };
  ballast: { versions: number; repaired: number; pinned: number; dropped: number };
  entries: { chart: string; line?: number; helm4: string; ballast: string; reason: string }[];
  findings: { rule: string; severity: string }[];
  exitCode: number;
}

test('doctor index says what Helm shows, skips and refuses, and what Ballast serves, with lines', async (t) => {
  const dir = await tempDir('doctor-index', t);
  const file = join(dir, 'index.yaml');
  await writeFile(file, mixed);
  const run = await runDoctor(['index', file, '--json']);
  const report = json<Report>(run);
  assert.equal(run.code, 0, 'Helm and Ballast agree; the notes do not count');
  assert.deepEqual(report.helm4, { versions: 4 });
  assert.deepEqual(report.helm3, { versions: 4 });
  assert.deepEqual(report.ballast, { versions: 4, repaired: 1, pinned: 1, dropped: 0 });
  const byChart = Object.fromEntries(report.entries.map((e) => [e.chart, e]));
  assert.equal(byChart.badversion?.helm4, 'skipped');
  assert.equal(byChart.badversion?.line, 6);
  assert.equal(byChart.nodigest?.ballast, 'pinned');
  assert.equal(byChart.prefixed?.ballast, 'repaired');
  assert.equal(byChart.fine, undefined, 'an entry everyone reads alike is not listed');
  assert.equal(byChart.nourl, undefined, 'Helm lists an entry without URL, and so does Ballast');

  const text = await runDoctor(['index', file, '--unverified', 'skip']);
  assert.equal(text.code, 1, 'with unverified: skip, Ballast leaves out what Helm lists');
  assert.match(text.stdout, /Helm 4 +shows 4 versions/);
  assert.match(text.stdout, /Ballast +shows 3 versions \(1 repaired, 1 dropped\)/);
  assert.match(text.stdout, /index-entry-dropped +\S+index\.yaml:8:1/);
});

test('doctor index exits 0 when Helm and Ballast agree, also over HTTP as Helm fetches a repository', async (t) => {
  const dir = await tempDir('doctor-index-http', t);
  await writeFile(
    join(dir, 'index.yaml'),
    `apiVersion: v1\nentries:\n  a:\n  - { name: a, version: v0.24.000, digest: ${digest}, urls: [a.tgz] }\n`,
  );
  await using server = await startStaticServer({ root: dir });
  const run = await runDoctor(['index', `${server.url}/`, '--json']);
  const report = json<Report & { source: string }>(run);
  assert.equal(run.code, 0, run.stdout);
  assert.equal(report.source, `${server.url}/index.yaml`);
  assert.deepEqual(report.findings, []);
});

test('doctor index: a number where Helm wants text makes Helm refuse the index, Ballast serves it', async (t) => {
  const dir = await tempDir('doctor-index-number', t);
  const file = join(dir, 'index.yaml');
  await writeFile(
    file,
    `apiVersion: v1\nentries:\n  a:\n  - { name: a, version: 1.0.0, appVersion: 1.40, digest: ${digest}, urls: [a.tgz] }\n`,
  );
  const report = json<Report>(await runDoctor(['index', file, '--json']));
  assert.equal(report.exitCode, 1);
  assert.match(report.helm3.refused ?? '', /appVersion: 1\.40/);
  assert.equal(report.helm4.versions, 0);
  assert.equal(report.ballast.versions, 1);
  assert.deepEqual(
    report.findings.map((f) => f.rule),
    ['index-helm-refuses'],
  );
});

test('doctor index: bad input is refused with a clear error and exit 2', async (t) => {
  const dir = await tempDir('doctor-index-bad', t);
  const broken = join(dir, 'broken.yaml');
  await writeFile(broken, 'apiVersion: v1\nentries:\n  a: [\n');
  const garbage = join(dir, 'garbage.yaml');
  await writeFile(garbage, Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe, 0x00, 0x01]));
  const refused = json<Report>(await runDoctor(['index', broken, '--json']));
  assert.equal(refused.exitCode, 1);
  assert.deepEqual(
    refused.findings.map((f) => f.rule),
    ['index-refused'],
  );
  assert.equal((await runDoctor(['index', garbage])).code, 1);

  const missing = await runDoctor(['index', join(dir, 'absent.yaml'), '--json']);
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /BALLAST_DOCTOR_INPUT_UNREADABLE: cannot read .*absent\.yaml: ENOENT/,
  );
  assert.equal((await runDoctor(['index', dir])).code, 2, 'a directory is not an index');

  await using server = await startStaticServer({ root: dir });
  const notFound = await runDoctor(['index', `${server.url}/nothing-here`]);
  assert.equal(notFound.code, 2);
  assert.match(
    notFound.stderr,
    /BALLAST_DOCTOR_INDEX_FETCH_FAILED: cannot fetch .*nothing-here\/index\.yaml: HTTP 404/,
  );
});
