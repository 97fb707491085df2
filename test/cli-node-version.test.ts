import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { peerBinary } from './support/debian-peers.ts';
import { tempDir } from './support/temp-dir.ts';

// `ballast` started by another Node.js than the project's (a machine's own, older one):
// it runs with the project's Node 24, or says which Node it needs.

const entry = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));

async function run(node: string, args: string[]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(node, args, { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

test("started by an older Node, ballast runs with the project's Node 24, exit codes and all", async () => {
  const node = peerBinary('debianNode');
  const { stdout: version } = await run(node, ['--version']);
  const major = Number(/^v(\d+)/.exec(version)?.[1]);
  assert.ok(major > 0, version);
  const ok = await run(node, [entry, '--version']);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, '0.1.0\n');
  const failed = await run(node, [entry, 'config', 'check', '/nonexistent/ballast.yaml']);
  assert.equal(failed.code, 1);
  assert.equal(
    failed.stderr,
    'ballast: BALLAST_CONFIG_UNREADABLE: config: cannot read /nonexistent/ballast.yaml: ENOENT\n',
  );
});

test('without the project’s Node 24 next to it, an older Node says which Node is needed', async (t) => {
  const node = peerBinary('debianNode');
  const { stdout: version } = await run(node, ['--version']);
  if (Number(/^v(\d+)/.exec(version)?.[1]) >= 24) {
    t.diagnostic(`${node} is ${version.trim()}: nothing older to start with`);
    return;
  }
  const lone = join(await tempDir('node-version', t), 'bin');
  await mkdir(lone);
  await copyFile(entry, join(lone, 'ballast.js'));
  const result = await run(node, [join(lone, 'ballast.js'), '--version']);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `ballast: Ballast needs Node.js 24 or later, and this is ${version.trim()}. Run \`npm install\` in the project folder (it installs Node.js 24 for Ballast), or install Node.js 24.\n`,
  );
});
