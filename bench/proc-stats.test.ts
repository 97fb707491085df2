import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { test } from 'node:test';
import { findProcessByCommandLine } from './proc-stats.ts';

test('finds a process by its exact command line, and nothing for a near miss', async (t) => {
  const marker = `bench-${randomUUID()}`;
  const script = 'setTimeout(() => {}, 30_000)';
  const child = spawn(process.execPath, ['-e', script, marker], { stdio: 'ignore' });
  t.after(() => child.kill('SIGKILL'));
  await once(child, 'spawn');
  assert.equal(findProcessByCommandLine([process.execPath, '-e', script, marker]), child.pid);
  assert.equal(findProcessByCommandLine([process.execPath, '-e', script]), undefined);
});
