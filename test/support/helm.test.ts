import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { access, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHelm, type HelmClient, HelmError, helmBinary, helmMajors } from './helm.ts';
import { startStaticServer } from './static-server.ts';
import { tempDir } from './temp-dir.ts';

const expectedVersions = { 3: /^v3\.17\.\d+$/, 4: /^v4\.1\.\d+$/ };

for (const major of helmMajors) {
  test(`Helm ${major} is the real client at the expected version`, async () => {
    await using helm = await createHelm(major);
    const { stdout } = await helm.run(['version', '--template', '{{.Version}}']);
    assert.match(stdout, expectedVersions[major]);
  });
}

test('helmBinary extracts each binary once into node_modules/.cache, executable', async () => {
  const [three, four] = await Promise.all([helmBinary(3), helmBinary(4)]);
  assert.equal(await helmBinary(4), four);
  assert.notEqual(three, four);
  for (const binary of [three, four]) {
    assert.match(binary, /node_modules\/\.cache\/ballast-test\/helm-[34]-[0-9a-f]{8}\/helm$/);
    await access(binary, constants.X_OK);
    assert.equal((await stat(binary)).mode & 0o777, 0o755);
  }
});

test('each client has its own home, which dispose() removes', async (t) => {
  const root = await tempDir('empty-repo', t);
  await writeFile(join(root, 'index.yaml'), 'apiVersion: v1\nentries: {}\n');
  await using server = await startStaticServer({ root });
  const first = await createHelm(4);
  await using second = await createHelm(4);
  assert.notEqual(first.home, second.home);
  assert.equal(first.env.HELM_CONFIG_HOME, join(first.home, 'config'));
  await first.run(['repo', 'add', 'elsewhere', server.url]);
  const listed = async (helm: HelmClient) =>
    JSON.parse((await helm.run(['repo', 'list', '-o', 'json'])).stdout);
  assert.deepEqual(await listed(first), [{ name: 'elsewhere', url: server.url }]);
  assert.deepEqual(await listed(second), []);
  await first.dispose();
  await assert.rejects(stat(first.home), { code: 'ENOENT' });
});

test('a home passed in is used and left in place', async (t) => {
  const home = await tempDir('helm-home', t);
  const helm = await createHelm(3, { home });
  const { stdout } = await helm.run(['env', 'HELM_CACHE_HOME']);
  assert.equal(stdout.trim(), join(home, 'cache'));
  await helm.dispose();
  await stat(home);
});

test('a failing command throws with its arguments and stderr', async () => {
  await using helm = await createHelm(4);
  await assert.rejects(helm.run(['show', 'chart', '/nonexistent/chart']), (error) => {
    assert.ok(error instanceof HelmError);
    assert.match(error.message, /^helm 4 show chart \/nonexistent\/chart failed \(exit 1\): /);
    assert.match(error.message, /path "\/nonexistent\/chart" not found/);
    assert.match(error.stderr, /^Error: path "\/nonexistent\/chart" not found/);
    return true;
  });
});

test('a command past its time limit is killed and says so', async (t) => {
  await using server = await startStaticServer({ root: await tempDir('hanging-repo', t) });
  server.setFault('/index.yaml', { hang: true });
  await using helm = await createHelm(3);
  await assert.rejects(
    helm.run(['repo', 'add', 'hanging', server.url], { timeoutMs: 500 }),
    /^HelmError: helm 3 repo add hanging http:\S+ was killed after 500 ms/,
  );
});
