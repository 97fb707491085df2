import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { basic, users } from './support/auth-ballast.ts';
import { cmPush } from './support/cm-push.ts';
import { createSigningKey, type SigningKey } from './support/gpg-keyring.ts';
import { createHelm, type HelmMajor, helmMajors } from './support/helm.ts';
import { type PushBallast, startPushBallast } from './support/push-ballast.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

interface Signed {
  version: string;
  file: string;
  chart: Buffer;
  prov: Buffer;
  dir: string;
}

/** Which Helm signs which version: each major signs one for the API and one for OCI push. */
const signedBy: Record<string, HelmMajor> = {
  '0.1.0': 3,
  '0.2.0': 4,
  '0.3.0': 3,
  '0.4.0': 4,
};

describe('charts signed by real Helm and GnuPG, uploaded and pulled with --verify', () => {
  let dir: string;
  let key: SigningKey;
  let stranger: SigningKey;
  let ballast: PushBallast;
  const signed = new Map<string, Signed>();
  const get = (version: string) => signed.get(version) as Signed;
  const ci = () => `Bearer ${ballast.ciToken}`;

  before(async () => {
    dir = await tempDir('hosted-provenance');
    key = await createSigningKey(join(dir, 'key'), 'Chart Signer <signer@example.invalid>');
    stranger = await createSigningKey(join(dir, 'stranger'), 'Stranger <other@example.invalid>');
    await using helm3 = await createHelm(3);
    await helm3.run(['create', 'signed'], { cwd: dir });
    for (const [version, major] of Object.entries(signedBy)) {
      await using helm = await createHelm(major);
      const out = join(dir, `packaged-${version}`);
      await mkdir(out);
      await helm.run([
        ...['package', join(dir, 'signed'), '--version', version, '-d', out],
        ...['--sign', '--key', key.name, '--keyring', key.secring],
      ]);
      const file = `signed-${version}.tgz`;
      const chart = await readFile(join(out, file));
      const prov = await readFile(join(out, `${file}.prov`));
      signed.set(version, { version, file, chart, prov, dir: out });
    }
    ballast = await startPushBallast(dir);
  });
  after(async () => {
    await ballast?.stop();
    await removeDir(dir);
  });

  const indexText = async () => (await fetch(`${ballast.url}/team/index.yaml`)).text();
  const provStatus = async (file: string) =>
    (await fetch(`${ballast.url}/team/charts/${file}.prov`)).status;

  /** `helm repo add` + `helm pull --verify` of one version; resolves to helm's output. */
  async function classicPull(major: HelmMajor, version: string, keyring = key.pubring) {
    await using helm = await createHelm(major);
    await helm.run(['repo', 'add', 'team', `${ballast.url}/team`]);
    const dest = await mkdtemp(join(dir, `pulled-${major}-`));
    const pulled = await helm.run([
      ...['pull', 'team/signed', '--version', version, '-d', dest],
      ...['--verify', '--keyring', keyring],
    ]);
    assert.deepEqual(await readFile(join(dest, get(version).file)), get(version).chart);
    return `${pulled.stdout}${pulled.stderr}`;
  }

  /** `helm pull oci://… --verify` of one version; resolves to helm's output. */
  async function ociPull(major: HelmMajor, version: string) {
    await using helm = await createHelm(major);
    const dest = await mkdtemp(join(dir, `oci-${major}-`));
    const pulled = await helm.run([
      ...['pull', `oci://${ballast.host}/team/signed`, '--version', version],
      ...['--plain-http', '-d', dest, '--verify', '--keyring', key.pubring],
    ]);
    assert.deepEqual(await readFile(join(dest, get(version).file)), get(version).chart);
    return `${pulled.stdout}${pulled.stderr}`;
  }

  test('cm-push with a prov field: stored, and a provenance file for other bytes is refused', async () => {
    const first = get('0.1.0');
    const pushed = await cmPush(
      `${ballast.url}/api/team/charts`,
      {
        chart: { name: first.file, data: first.chart },
        prov: { name: `${first.file}.prov`, data: first.prov },
      },
      { authorization: ci() },
    );
    assert.equal(pushed.status, 201, pushed.body);
    assert.deepEqual(
      Buffer.from(
        await (await fetch(`${ballast.url}/team/charts/${first.file}.prov`)).arrayBuffer(),
      ),
      first.prov,
      'served byte for byte next to the chart',
    );

    // 0.2.0 with the provenance file Helm made for 0.1.0: refused, and nothing is stored.
    const second = get('0.2.0');
    const before = await indexText();
    const mismatched = await cmPush(
      `${ballast.url}/api/team/charts`,
      {
        chart: { name: second.file, data: second.chart },
        prov: { name: `${second.file}.prov`, data: first.prov },
      },
      { authorization: ci() },
    );
    assert.equal(mismatched.status, 400, mismatched.body);
    assert.match(String(mismatched.json?.error), /signs signed 0\.1\.0, not signed 0\.2\.0/);
    assert.equal(await indexText(), before, 'the index is unchanged');
    assert.equal(await ballast.repo.get('signed', '0.2.0'), undefined);
  });

  test('POST prov adds a provenance file to an uploaded version; a tampered one is refused', async () => {
    const second = get('0.2.0');
    const raw = await fetch(`${ballast.url}/api/team/charts`, {
      method: 'POST',
      headers: { authorization: ci(), 'content-type': 'application/gzip' },
      body: second.chart,
    });
    assert.equal(raw.status, 201);
    assert.equal(await provStatus(second.file), 404, 'no provenance yet');
    const unsigned = await fetch(`${ballast.url}/v2/team/signed/manifests/0.2.0`);
    assert.equal(unsigned.status, 200, 'an OCI manifest served before the provenance file came');

    // The chart's digest in the signed text changed by one digit: the chart it names is not this one.
    const text = second.prov.toString();
    const digestAt = text.indexOf('sha256:') + 'sha256:'.length;
    const flipped = text[digestAt] === '0' ? '1' : '0';
    const tampered = `${text.slice(0, digestAt)}${flipped}${text.slice(digestAt + 1)}`;
    const refused = await cmPush(
      `${ballast.url}/api/team/prov`,
      { prov: { name: `${second.file}.prov`, data: Buffer.from(tampered) } },
      { authorization: ci() },
    );
    assert.equal(refused.status, 400, refused.body);
    assert.match(String(refused.json?.error), /lists signed-0\.2\.0\.tgz as sha256:/);
    assert.equal(await provStatus(second.file), 404, 'the refusal stored nothing');

    const anonymous = await cmPush(`${ballast.url}/api/team/prov`, {
      prov: { name: `${second.file}.prov`, data: second.prov },
    });
    assert.equal(anonymous.status, 401);
    const added = await cmPush(
      `${ballast.url}/api/team/prov`,
      { prov: { name: `${second.file}.prov`, data: second.prov } },
      { authorization: basic('alice', users.alice) },
    );
    assert.equal(added.status, 201, added.body);
    assert.equal(await provStatus(second.file), 200);
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: helm pull --verify passes for both uploads, classic and oci://, and fails with another key`, async () => {
      for (const version of ['0.1.0', '0.2.0']) {
        const output = await classicPull(major, version);
        assert.match(output, /Signed by: Chart Signer <signer@example\.invalid>/);
        assert.match(await ociPull(major, version), /Signed by: Chart Signer/);
      }
      await assert.rejects(classicPull(major, '0.1.0', stranger.pubring), /openpgp|key|signature/i);
    });
  }

  for (const major of helmMajors) {
    test(`Helm ${major}: helm push of a signed chart carries its provenance; pulled with --verify over OCI and classic`, async () => {
      const chart = get(major === 3 ? '0.3.0' : '0.4.0');
      await using helm = await createHelm(major);
      const plain = major === 3 ? ['--insecure'] : ['--plain-http'];
      await helm.run(
        ['registry', 'login', ballast.host, '--username', 'alice', '--password-stdin', ...plain],
        { input: users.alice },
      );
      // Helm pushes `<chart>.tgz.prov` as a layer when it sits next to the archive.
      await helm.run([
        'push',
        join(chart.dir, chart.file),
        `oci://${ballast.host}/team`,
        '--plain-http',
      ]);
      const manifest = (await (
        await fetch(`${ballast.url}/v2/team/signed/manifests/${chart.version}`, {
          headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
        })
      ).json()) as { layers: { mediaType: string }[] };
      assert.deepEqual(manifest.layers.map((l) => l.mediaType).sort(), [
        'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
        'application/vnd.cncf.helm.chart.provenance.v1.prov',
      ]);

      assert.match(await ociPull(major, chart.version), /Signed by: Chart Signer/);

      assert.deepEqual(
        Buffer.from(
          await (await fetch(`${ballast.url}/team/charts/${chart.file}.prov`)).arrayBuffer(),
        ),
        chart.prov,
        'the pushed provenance layer is the classic .prov',
      );
      assert.match(await classicPull(major, chart.version), /Signed by: Chart Signer/);
    });
  }
});
