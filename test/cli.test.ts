import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo } from './support/classic-repo.ts';
import { httpRequest } from './support/http.ts';
import { startStaticServer } from './support/static-server.ts';

const main = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));
const exec = promisify(execFile);

async function ballast(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await exec(process.execPath, [main, ...args], {
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

async function configFile(text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'ballast-cli-')), 'ballast.yaml');
  await writeFile(file, text);
  return file;
}

test('config check accepts the quick-start config', async () => {
  const result = await ballast([
    'config',
    'check',
    fileURLToPath(new URL('../ballast.yaml', import.meta.url)),
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /OK \(1 repositories/);
});

test('config check names the key, the value and what was expected, and exits non-zero', async () => {
  const file = await configFile(
    'repos:\n  - name: demo\n    upstreams: [{ url: "http://127.0.0.1:1" }]\n    refresh: soon\n',
  );
  const result = await ballast(['config', 'check', file]);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /BALLAST_CONFIG_INVALID: config: repos\[0\]\.refresh: expected a duration .* got "soon"/,
  );
});

test('config check sees BALLAST_* overrides', async () => {
  const file = await configFile('listen: 127.0.0.1:8080\n');
  const result = await ballast(['config', 'check', file], { BALLAST_LISTEN: 'nonsense' });
  assert.equal(result.code, 1);
  assert.match(result.stderr, /listen: expected host:port/);
});

test('config check reports a missing file', async () => {
  const result = await ballast(['config', 'check', '/nonexistent/ballast.yaml']);
  assert.equal(result.code, 1);
  assert.match(
    result.stderr,
    /BALLAST_CONFIG_UNREADABLE: config: cannot read \/nonexistent\/ballast.yaml: ENOENT/,
  );
});

test('serve refuses to start on an invalid config', async () => {
  const file = await configFile('listen: 127.0.0.1:0\nsurprise: true\n');
  const result = await ballast(['serve', '--config', file]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /unknown key\(s\) "surprise"/);
});

test('SIGTERM lets a request in flight finish, then exits 0', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-sigterm-'));
  const repo = await buildClassicRepo(join(dir, 'upstream'), {
    charts: [{ chart: 'demo-app', versions: ['1.0.0'] }],
  });
  await using upstream = await startStaticServer({ root: repo.dir });
  const server = await startBallastProcess({
    repos: [{ name: 'demo', upstreams: [{ url: upstream.url }] }],
  });
  try {
    await httpRequest(`${server.url}/demo/index.yaml`);
    upstream.setFault('/demo-app-1.0.0.tgz', { delayMs: 700 });
    const inFlight = httpRequest(`${server.url}/demo/charts/demo-app-1.0.0.tgz`);
    await new Promise((resolve) => setTimeout(resolve, 200));
    process.kill(server.process.pid, 'SIGTERM');
    const response = await inFlight;
    assert.equal(response.status, 200);
    const exit = await server.process.exited;
    assert.equal(exit.code, 0);
    assert.ok(server.logs().some((line) => line.msg === 'stopped'));
  } finally {
    await server.stop();
  }
});
