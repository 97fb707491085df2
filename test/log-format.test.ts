import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { tempDir } from './support/temp-dir.ts';

// log.format: JSON for collectors, lines for people, and by default whichever fits where the
// log goes. A sync against an upstream that refuses connections logs warnings to read.

const entry = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));

async function config(dir: string, name: string, log: Record<string, string>) {
  return writeBallastConfig(dir, name, {
    log: { level: 'info', ...log },
    storage: { fs: { path: `${dir}/data` } },
    resilience: { deadline: '500ms' },
    repos: [{ name: 'demo', upstreams: [{ url: 'http://127.0.0.1:1/' }] }],
  });
}

const esc = '\u001b';
const colour = new RegExp(`${esc}\\[[0-9;]*m`, 'g');
/** `sync --all --verbose` against the unreachable upstream, with this `log:` section. */
async function syncWithLog(dir: string, log: Record<string, string>) {
  const file = await config(dir, log.format ?? 'auto', log);
  return runBallastCli(['sync', '--all', '--verbose', '--config', file]);
}

const warning = /WARN.*: upstream request failed .*"cause":"BALLAST_UPSTREAM_UNREACHABLE"/;

test('log.format: json writes JSON lines, pretty writes lines for people', async (t) => {
  const dir = await tempDir('log-format', t);
  const json = await syncWithLog(dir, { format: 'json' });
  assert.equal(json.code, 1);
  const lines = json.stderr.trim().split('\n');
  assert.ok(lines.length > 1);
  for (const line of lines) assert.equal(typeof JSON.parse(line).level, 'number', line);

  const pretty = await syncWithLog(dir, { format: 'pretty' });
  assert.equal(pretty.code, 1);
  assert.doesNotMatch(pretty.stderr, /^\{/m);
  assert.match(pretty.stderr, /^\[\d\d:\d\d:\d\d\.\d{3}\] /m);
  assert.match(pretty.stderr, warning);
  assert.ok(!pretty.stderr.includes(esc), 'no colours into a pipe');
});

test('by default the log is JSON into a pipe and coloured lines on a terminal', async (t) => {
  const dir = await tempDir('log-auto', t);
  const piped = await syncWithLog(dir, {});
  const file = `${dir}/auto.yaml`;
  assert.match(piped.stderr, /^\{"level":40,/m);

  const command = [process.execPath, entry, 'sync', '--all', '--verbose', '--config', file]
    .map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`)
    .join(' ');
  let output = '';
  try {
    // util-linux `script` gives the command a pseudo-terminal, as a person's shell would.
    await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error('`script` is missing: install the Debian package bsdutils (util-linux)');
    output = String((error as { stdout?: string }).stdout); // sync exits 1: the upstream is down
  }
  const plain = output.replace(colour, '');
  assert.doesNotMatch(plain, /\{"level":/);
  assert.match(plain, warning);
  assert.ok(output.includes(`${esc}[33mWARN`), 'the level in colour');
});
