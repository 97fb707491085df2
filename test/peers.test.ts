// One test per real peer (shared/TESTING.md): each must be installed and run. A missing
// peer fails, naming the package to install; nothing here is ever skipped.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { Resolver } from 'node:dns/promises';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { peerBinary } from './support/debian-peers.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { startNginx } from './support/nginx.ts';
import { freePort } from './support/ports.ts';
import { startProcess } from './support/processes.ts';
import { startRegistry } from './support/registry.ts';
import { startStaticServer } from './support/static-server.ts';
import { tempDir } from './support/temp-dir.ts';

const run = promisify(execFile);

async function servedDir(t: test.TestContext): Promise<string> {
  const root = await tempDir('peers', t);
  await writeFile(join(root, 'index.yaml'), 'apiVersion: v1\nentries: {}\n');
  return root;
}

for (const major of helmMajors) {
  test(`helm ${major} (npm devDependency) runs`, async () => {
    await using helm = await createHelm(major);
    const { stdout } = await helm.run(['version', '--short']);
    assert.match(stdout, major === 3 ? /^v3\.17\./ : /^v4\.1\./);
  });
}

test('nginx (Debian nginx-light) serves files', async (t) => {
  await using nginx = await startNginx({ root: await servedDir(t) });
  assert.equal((await fetch(`${nginx.url}/index.yaml`)).status, 200);
});

test('docker-registry (Debian docker-registry) answers /v2/', async () => {
  await using registry = await startRegistry();
  assert.equal((await fetch(`${registry.url}/v2/`)).status, 200);
});

test('skopeo (Debian skopeo) runs', async () => {
  const { stdout } = await run(peerBinary('skopeo'), ['--version']);
  assert.match(stdout, /^skopeo version 1\./);
});

test('umoci (Debian umoci) makes an OCI layout', async (t) => {
  const layout = join(await tempDir('peers-umoci', t), 'layout');
  await run(peerBinary('umoci'), ['init', '--layout', layout]);
  const { stdout } = await run(peerBinary('umoci'), ['--version']);
  assert.match(stdout, /^umoci version 0\./);
});

test('dnsmasq (Debian dnsmasq-base) answers a query on a loopback port', async () => {
  const port = await freePort();
  const resolver = new Resolver({ timeout: 500, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const answer = () => resolver.resolve4('peer.ballast.test');
  // dnsmasq-base runs as root here; --user=root keeps it from dropping to a user that may not exist.
  const args = [
    ...['--keep-in-foreground', '--no-resolv', '--no-hosts', '--pid-file=', '--user=root'],
    ...[`--port=${port}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--log-facility=-'],
    '--address=/peer.ballast.test/127.0.0.9',
  ];
  await using _dnsmasq = await startProcess(peerBinary('dnsmasq'), args, {
    ready: async () => (await answer()).length > 0,
  });
  assert.deepEqual(await answer(), ['127.0.0.9']);
});

test('wrk (Debian wrk) loads a local server', async (t) => {
  await using server = await startStaticServer({ root: await servedDir(t) });
  const { stdout } = await run(peerBinary('wrk'), [
    ...['-t1', '-c1', '-d1s', `${server.url}/index.yaml`],
  ]);
  assert.match(stdout, /Requests\/sec:\s+[\d.]+/);
  assert.ok(server.requests.length > 0);
});
