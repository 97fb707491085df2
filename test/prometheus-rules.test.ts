import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { peerBinary } from './support/debian-peers.ts';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../deploy/prometheus/', import.meta.url));

test('the shipped alerting rules pass promtool check rules', async () => {
  const { stdout } = await run(peerBinary('promtool'), ['check', 'rules', 'ballast-rules.yaml'], {
    cwd: dir,
  });
  assert.match(stdout, /SUCCESS: 7 rules found/);
});

test('the shipped alerting rules pass their promtool unit tests', async () => {
  const { stdout } = await run(
    peerBinary('promtool'),
    ['test', 'rules', 'ballast-rules.test.yaml'],
    {
      cwd: dir,
    },
  );
  assert.match(stdout, /SUCCESS/);
});

test('every metric the rules use is one Ballast exports', async () => {
  const rules = await readFile(`${dir}ballast-rules.yaml`, 'utf8');
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
