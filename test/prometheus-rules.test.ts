import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { peerBinary } from './support/debian-peers.ts';

// The alerting rules live once, in the chart (deploy/helm/ballast/files/ballast-rules.yaml):
// test/helm-chart.test.ts checks the PrometheusRule renders them, these tests check the rules.

const run = promisify(execFile);
const rulesFile = fileURLToPath(
  new URL('../deploy/helm/ballast/files/ballast-rules.yaml', import.meta.url),
);
const unitTests = fileURLToPath(new URL('prometheus-rules.test.yaml', import.meta.url));

test('the shipped alerting rules pass promtool check rules', async () => {
  const { stdout } = await run(peerBinary('promtool'), ['check', 'rules', rulesFile]);
  assert.match(stdout, /SUCCESS: 7 rules found/);
});

test('the shipped alerting rules pass their promtool unit tests', async () => {
  const { stdout } = await run(peerBinary('promtool'), ['test', 'rules', unitTests]);
  assert.match(stdout, /SUCCESS/);
});

test('every metric the rules use is one Ballast exports', async () => {
  const rules = await readFile(rulesFile, 'utf8');
  const used = new Set(rules.match(/\bballast_[a-z_]+/g));
  const sources = await Promise.all(
    ['metrics.ts', 'probe-metrics.ts'].map((file) =>
      readFile(new URL(`../src/observability/${file}`, import.meta.url), 'utf8'),
    ),
  );
  const exported = new Set(sources.join('\n').match(/(?<=name: ')ballast_[a-z_]+/g));
  assert.deepEqual(
    [...used].filter((name) => !exported.has(name)),
    [],
  );
});
