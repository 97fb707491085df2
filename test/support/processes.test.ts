import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { startProcess, tcpProbe } from './processes.ts';

const node = process.execPath;
const processesModule = new URL('./processes.ts', import.meta.url).href;

/** Whether the process is gone (or a zombie nobody reaped yet) within a second. */
async function dies(pid: number): Promise<boolean> {
  const stat = `/proc/${pid}/stat`;
  for (let tries = 0; tries < 20; tries++) {
    if (!existsSync(stat) || / Z /.test(readFileSync(stat, 'utf8'))) return true;
    await sleep(50);
  }
  return false;
}

test('waits until ready, captures output, and stops once however often stop() is called', async () => {
  const server = `require('net').createServer().listen(0, '127.0.0.1', function () {
    console.log('port', this.address().port); console.error('on stderr');
  })`;
  let port = 0;
  const peer = await startProcess(node, ['-e', server], {
    ready: async (output) => {
      port = Number(/port (\d+)/.exec(output)?.[1] ?? 0);
      return port > 0 && tcpProbe(port)();
    },
  });
  assert.match(peer.output(), /on stderr/);
  await Promise.all([peer.stop(), peer.stop()]);
  await peer.stop();
  assert.deepEqual(await peer.exited, { code: null, signal: 'SIGTERM' });
  assert.equal(await tcpProbe(port)(), false);
});

test('a peer that never gets ready fails with its output and is killed', async () => {
  let pid = 0;
  await assert.rejects(
    startProcess(
      node,
      ['-e', 'console.log("warming up", process.pid); setInterval(() => {}, 1000)'],
      {
        name: 'slowpoke',
        ready: async () => false,
        readyTimeoutMs: 300,
      },
    ),
    (error: Error) => {
      assert.match(error.message, /^slowpoke was not ready within 300 ms/);
      pid = Number(/warming up (\d+)/.exec(error.message)?.[1]);
      return true;
    },
  );
  assert.ok(pid > 0 && (await dies(pid)), `peer ${pid} survived`);
});

test('a peer that exits before it is ready fails at once with its exit and output', async () => {
  await assert.rejects(
    startProcess(node, ['-e', 'console.error("bad config"); process.exit(3)'], {
      ready: async () => false,
    }),
    /exited \(code 3, signal null\) before it was ready[\s\S]*bad config/,
  );
});

test('a missing command fails with a clear error', async () => {
  await assert.rejects(startProcess('/nonexistent/peer', []), /cannot start \/nonexistent\/peer/);
});

test('stop() kills a peer that ignores SIGTERM, and its whole process group', async () => {
  // The shell and its background sleep both ignore SIGTERM (an ignored signal is inherited).
  const script = 'trap "" TERM; sleep 60 & echo "child $!"; wait';
  const peer = await startProcess('sh', ['-c', script], {
    ready: async (output) => /child \d+/.test(output),
    graceMs: 200,
  });
  const sleepPid = Number(/child (\d+)/.exec(peer.output())?.[1]);
  await peer.stop();
  assert.equal((await peer.exited).signal, 'SIGKILL');
  assert.ok(await dies(sleepPid), `sleep ${sleepPid} survived`);
});

test('keeps only the last bytes of a chatty peer', async () => {
  const chatty = 'process.stdout.write("x".repeat(1_000_000) + "THE END")';
  const peer = await startProcess(node, ['-e', chatty], { maxOutputBytes: 1000 });
  await peer.exited;
  const output = peer.output();
  assert.match(output, /^\[\d+ earlier bytes dropped\]\n/);
  assert.ok(output.endsWith('xTHE END'));
  assert.ok(output.length < 1100, `kept ${output.length} characters`);
});

test('a peer left running is killed when the test process exits', async () => {
  const script = `
    import { startProcess } from ${JSON.stringify(processesModule)};
    const peer = await startProcess('sleep', ['60']);
    console.log(peer.pid);`;
  const { stdout } = await promisify(execFile)(node, ['--input-type=module', '-e', script]);
  const pid = Number(stdout.trim());
  assert.ok(pid > 0);
  assert.ok(await dies(pid), `sleep ${pid} survived its test process`);
});
