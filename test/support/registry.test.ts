import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { buildClassicRepo } from './classic-repo.ts';
import { peerBinary } from './debian-peers.ts';
import { createHelm } from './helm.ts';
import { startRegistry } from './registry.ts';
import { tempDir } from './temp-dir.ts';

test('the reference registry takes a real helm push and serves Helm OCI artifacts', async (t) => {
  const dir = await tempDir('registry-charts', t);
  const { charts } = await buildClassicRepo(dir, {
    charts: [{ chart: 'demo-app', versions: ['0.1.0', '1.0.0+build.7'] }],
  });
  await using registry = await startRegistry();
  const v2 = await fetch(`${registry.url}/v2/`);
  assert.equal(v2.headers.get('docker-distribution-api-version'), 'registry/2.0');

  // Helm 4 pushes one version, Helm 3 the other; each pulls what the other pushed.
  await using helm4 = await createHelm(4);
  await using helm3 = await createHelm(3);
  const target = `oci://${registry.host}/charts`;
  const [newest, oldest] = charts;
  await helm4.run(['push', oldest?.path ?? '', target, '--plain-http']);
  await helm3.run(['push', newest?.path ?? '', target, '--plain-http']);
  const pull = (helm: typeof helm3, version: string) =>
    helm.run(['pull', `${target}/demo-app`, '--version', version, '--plain-http', '-d', dir]);
  await pull(helm3, '0.1.0');
  await pull(helm4, '1.0.0+build.7');

  const tags = await fetch(`${registry.url}/v2/charts/demo-app/tags/list`);
  assert.deepEqual(((await tags.json()) as { tags: string[] }).tags.sort(), [
    '0.1.0',
    '1.0.0_build.7',
  ]);
  const manifest = await fetch(`${registry.url}/v2/charts/demo-app/manifests/0.1.0`, {
    headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
  });
  type Descriptor = { mediaType: string; digest: string };
  const { config, layers } = (await manifest.json()) as {
    config: Descriptor;
    layers: Descriptor[];
  };
  assert.equal(config.mediaType, 'application/vnd.cncf.helm.config.v1+json');
  assert.equal(layers[0]?.mediaType, 'application/vnd.cncf.helm.chart.content.v1.tar+gzip');
  assert.equal(layers[0]?.digest, `sha256:${oldest?.digest}`);

  // skopeo, the second OCI client, sees the same tags.
  const skopeo = peerBinary('skopeo');
  const listed = await promisify(execFile)(skopeo, [
    ...['list-tags', '--tls-verify=false', `docker://${registry.host}/charts/demo-app`],
  ]);
  assert.deepEqual(JSON.parse(listed.stdout).Tags.sort(), ['0.1.0', '1.0.0_build.7']);
});
