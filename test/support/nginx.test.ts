import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { startNginx } from './nginx.ts';
import { tcpProbe } from './processes.ts';
import { tempDir } from './temp-dir.ts';

const index = `apiVersion: v1\nentries:\n${'  # padding so gzip has something to do\n'.repeat(20)}`;

async function servedRoot(t: test.TestContext): Promise<string> {
  // mkdtemp makes a 0700 dir: only a worker running as root can read it when we are root.
  const root = await tempDir('nginx-root', t);
  await writeFile(join(root, 'index.yaml'), index);
  await writeFile(
    join(root, 'index.json'),
    JSON.stringify({ apiVersion: 'v1', entries: {}, pad: index }),
  );
  await writeFile(join(root, 'demo-app-0.1.0.tgz'), Buffer.alloc(1024));
  return root;
}

const gzipped = { headers: { 'accept-encoding': 'gzip' } };

test('serves a folder with Helm content types and logs each request', async (t) => {
  await using nginx = await startNginx({ root: await servedRoot(t) });
  const yaml = await fetch(`${nginx.url}/index.yaml`, gzipped);
  assert.equal(yaml.status, 200);
  assert.equal(yaml.headers.get('server'), 'nginx/1.22.1');
  assert.equal(yaml.headers.get('content-type'), 'application/x-yaml');
  assert.equal(yaml.headers.get('content-encoding'), null);
  assert.equal(await yaml.text(), index);
  const chart = await fetch(`${nginx.url}/demo-app-0.1.0.tgz`);
  assert.equal(chart.headers.get('content-type'), 'application/gzip');
  assert.equal((await chart.arrayBuffer()).byteLength, 1024);
  assert.equal((await fetch(`${nginx.url}/missing.tgz`)).status, 404);
  assert.deepEqual(await nginx.accessLog(), [
    `GET /index.yaml 200 ${index.length}`,
    'GET /demo-app-0.1.0.tgz 200 1024',
    'GET /missing.tgz 404 153',
  ]);
});

test('with gzip on, compresses YAML and JSON for clients that accept it', async (t) => {
  await using nginx = await startNginx({ root: await servedRoot(t), gzip: true });
  for (const file of ['index.yaml', 'index.json']) {
    const res = await fetch(`${nginx.url}/${file}`, gzipped);
    assert.equal(res.headers.get('content-encoding'), 'gzip', file);
    assert.equal(res.headers.get('vary'), 'Accept-Encoding');
    assert.match(await res.text(), /apiVersion/); // fetch decompresses
  }
  const plain = await fetch(`${nginx.url}/index.yaml`, {
    headers: { 'accept-encoding': 'identity' },
  });
  assert.equal(plain.headers.get('content-encoding'), null);
});

test('stop() ends nginx and is safe to call twice', async (t) => {
  const nginx = await startNginx({ root: await servedRoot(t) });
  await nginx.stop();
  await nginx.stop();
  assert.equal(await tcpProbe(nginx.port)(), false);
});
