import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { createSigningKey, type SigningKey } from './support/gpg-keyring.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { type Registry, startRegistry } from './support/registry.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// A chart signed with real GnuPG and pushed by real Helm to the reference registry carries its
// provenance file as a second layer. Mirrored from that registry, it verifies on both faces.

describe('signed charts mirrored from an OCI registry, pulled with --verify', () => {
  let dir: string;
  let key: SigningKey;
  let registry: Registry;
  let ballast: BallastProcess;
  const version = '0.1.0';
  const file = `signed-${version}.tgz`;
  let chart: Buffer;
  let prov: Buffer;

  before(async () => {
    dir = await tempDir('oci-mirror-provenance');
    key = await createSigningKey(join(dir, 'key'), 'Chart Signer <signer@example.invalid>');
    await using helm = await createHelm(4);
    await helm.run(['create', 'signed'], { cwd: dir });
    const out = join(dir, 'packaged');
    await mkdir(out);
    await helm.run([
      ...['package', join(dir, 'signed'), '--version', version, '-d', out],
      ...['--sign', '--key', key.name, '--keyring', key.secring],
    ]);
    chart = await readFile(join(out, file));
    prov = await readFile(join(out, `${file}.prov`));
    registry = await startRegistry();
    // With `<chart>.prov` next to the archive, helm push sends it as the provenance layer.
    await helm.run(['push', join(out, file), `oci://${registry.host}/charts`, '--plain-http']);
    ballast = await startBallastProcess({
      repos: [
        {
          name: 'signed',
          upstreams: [{ url: `oci://${registry.host}/charts`, plainHttp: true }],
          charts: ['signed'],
        },
      ],
    });
  });
  after(async () => {
    await ballast?.stop();
    await registry?.stop();
    await removeDir(dir);
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: pull --verify oci:// through Ballast gets the upstream's provenance layer`, async () => {
      await using helm = await createHelm(major);
      const dest = await mkdtemp(join(dir, `oci-${major}-`));
      const host = new URL(ballast.url).host;
      const pulled = await helm.run([
        ...['pull', `oci://${host}/signed/signed`, '--version', version, '--plain-http'],
        ...['-d', dest, '--verify', '--keyring', key.pubring],
      ]);
      assert.deepEqual(await readFile(join(dest, file)), chart);
      assert.match(`${pulled.stdout}${pulled.stderr}`, /Signed by: Chart Signer/);
    });

    test(`Helm ${major}: pull --verify from the classic face gets the same provenance file`, async () => {
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'signed', `${ballast.url}/signed`]);
      const dest = await mkdtemp(join(dir, `classic-${major}-`));
      const pulled = await helm.run([
        ...['pull', 'signed/signed', '--version', version, '-d', dest],
        ...['--verify', '--keyring', key.pubring],
      ]);
      assert.deepEqual(await readFile(join(dest, file)), chart);
      assert.match(`${pulled.stdout}${pulled.stderr}`, /Signed by: Chart Signer/);
    });
  }

  test('the provenance file is served byte for byte as the registry holds it', async () => {
    const served = await fetch(`${ballast.url}/signed/charts/${file}.prov`);
    assert.equal(served.status, 200);
    assert.deepEqual(Buffer.from(await served.arrayBuffer()), prov);
  });
});
