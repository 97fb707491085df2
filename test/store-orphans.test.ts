import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startBallastProcess } from './support/ballast.ts';
import { writeBallastConfig } from './support/ballast-cli.ts';
import { eventually } from './support/http.ts';
import { tempDir } from './support/temp-dir.ts';

const entry = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));

async function processState(pid: number): Promise<string | undefined> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return text?.slice(text.lastIndexOf(')') + 2).split(' ')[0];
}

test('the tmp folder of a killed server is cleared at restart even while the dead process is a zombie', async (t) => {
  const dir = await tempDir('orphans', t);
  const data = join(dir, 'data');
  const config = await writeBallastConfig(dir, 'first', { storage: { fs: { path: data } } });
  // The shell starts Ballast, then becomes `sleep`, which never reaps it: once killed, Ballast
  // stays a zombie, which still answers kill(pid, 0).
  const parent = spawn(
    '/bin/sh',
    ['-c', `"$NODE" "$ENTRY" serve --config "$CONFIG" >/dev/null 2>&1 & exec sleep 60`],
    {
      env: { ...process.env, NODE: process.execPath, ENTRY: entry, CONFIG: config },
      stdio: 'ignore',
    },
  );
  let pid = 0;
  t.after(() => {
    // Ballast first (still serving if the test failed before killing it), then its parent,
    // which lets init reap it: the pid cannot have been reused before this.
    if (pid > 0) process.kill(pid, 'SIGKILL');
    parent.kill('SIGKILL');
  });

  let folder = '';
  await eventually(async () => {
    const entries = await readdir(join(data, 'tmp'));
    assert.equal(entries.length, 1);
    folder = entries[0] as string;
  }, 20_000);
  pid = Number(folder.split('-')[0]);
  await writeFile(join(data, 'tmp', folder, 'half-written'), 'partial');
  process.kill(pid, 'SIGKILL');
  await eventually(async () => assert.equal(await processState(pid), 'Z'));
  assert.doesNotThrow(() => process.kill(pid, 0), 'a zombie still answers kill(pid, 0)');

  await using server = await startBallastProcess({}, { dataDir: data });
  const left = await readdir(join(data, 'tmp'));
  assert.equal(left.length, 1, `only the new server's folder: ${left.join(', ')}`);
  assert.notEqual(left[0], folder);
  assert.ok(left[0]?.startsWith(`${server.process.pid}-`), left[0]);
});

test('the tmp folder of a live process using the same store is left alone', async (t) => {
  const dir = await tempDir('orphans-live', t);
  const data = join(dir, 'data');
  await using first = await startBallastProcess({}, { dataDir: data });
  await using second = await startBallastProcess({}, { dataDir: data });
  const folders = await readdir(join(data, 'tmp'));
  assert.deepEqual(
    folders.map((f) => Number(f.split('-')[0])).sort(),
    [first.process.pid, second.process.pid].sort(),
  );
});
