import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type AuthSetup, startAuthSetup, users } from './support/auth-ballast.ts';
import { peerBinary } from './support/debian-peers.ts';
import { createHelm, helmMajors } from './support/helm.ts';

const exec = promisify(execFile);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('a private repo next to a public one, with real Helm and skopeo', () => {
  let setup: AuthSetup;
  let work: string;
  let host: string;
  let expectedDigest: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ballast-auth-clients-'));
    setup = await startAuthSetup(work);
    host = new URL(setup.ballast.url).host;
    const chart = setup.upstream.charts.find((c) => c.version === '1.0.0');
    expectedDigest = chart?.digest ?? '';
  });
  after(() => setup?.stop());

  for (const major of helmMajors) {
    test(`Helm ${major}: repo add --username/--password, update and pull; without them it fails`, async () => {
      await using helm = await createHelm(major);
      const url = `${setup.ballast.url}/private`;
      await assert.rejects(helm.run(['repo', 'add', 'nologin', url]), /401|Unauthorized/);
      await assert.rejects(
        helm.run(['repo', 'add', 'wrong', url, '--username', 'alice', '--password', 'nope']),
        /401|Unauthorized/,
      );
      await helm.run([
        'repo',
        'add',
        'internal',
        url,
        '--username',
        'alice',
        '--password',
        users.alice,
      ]);
      await helm.run(['repo', 'add', 'public', `${setup.ballast.url}/public`]);
      await helm.run(['repo', 'update']);
      const dest = await mkdtemp(join(work, `classic-helm${major}-`));
      await helm.run(['pull', 'internal/demo-app', '--version', '1.0.0', '-d', dest]);
      const pulled = await readFile(join(dest, 'demo-app-1.0.0.tgz'));
      assert.equal(sha256(pulled), expectedDigest);
      await helm.run(['pull', 'public/demo-app', '--version', '0.1.0', '-d', dest]);
    });

    test(`Helm ${major}: registry login, then pull oci:// from the private repo; the public one needs no login`, async () => {
      await using helm = await createHelm(major);
      const plain = major === 3 ? ['--insecure'] : ['--plain-http'];
      const dest = await mkdtemp(join(work, `oci-helm${major}-`));
      const pull = (repo: string) =>
        helm.run([
          'pull',
          `oci://${host}/${repo}/demo-app`,
          '--version',
          '1.0.0',
          '--plain-http',
          '-d',
          dest,
        ]);
      await pull('public');
      await assert.rejects(pull('private'), /401|nauthorized|authorization/i);
      await assert.rejects(
        helm.run(['registry', 'login', host, '--username', 'alice', '--password-stdin', ...plain], {
          input: 'wrong',
        }),
      );
      await helm.run(
        ['registry', 'login', host, '--username', 'alice', '--password-stdin', ...plain],
        { input: users.alice },
      );
      await pull('private');
      const pulled = await readFile(join(dest, 'demo-app-1.0.0.tgz'));
      assert.equal(sha256(pulled), expectedDigest);
      await helm.run(['registry', 'logout', host]);
    });
  }

  test('Helm 4: a logged-in user without read access is refused', async () => {
    await using helm = await createHelm(4);
    await helm.run(
      ['registry', 'login', host, '--username', 'bob', '--password-stdin', '--plain-http'],
      { input: users.bob },
    );
    await assert.rejects(
      helm.run(['pull', `oci://${host}/private/demo-app`, '--version', '1.0.0', '--plain-http']),
      /403|denied|forbidden/i,
    );
  });

  test('skopeo inspects with a password, copies with a token as password, is refused without or with wrong ones', async () => {
    const skopeo = peerBinary('skopeo');
    const ref = `docker://${host}/private/demo-app:1.0.0`;
    const noLogin = ['--tls-verify=false', '--no-creds'];
    await assert.rejects(exec(skopeo, ['inspect', '--raw', ...noLogin, ref]), /unauthorized|401/i);
    await assert.rejects(
      exec(skopeo, ['inspect', '--raw', '--tls-verify=false', '--creds', 'alice:nope', ref]),
      /unauthorized|401/i,
    );
    const creds = ['--tls-verify=false', '--creds', `alice:${users.alice}`];
    const raw = (await exec(skopeo, ['inspect', '--raw', ...creds, ref])).stdout;
    const publicRaw = (
      await exec(skopeo, ['inspect', '--raw', ...noLogin, `docker://${host}/public/demo-app:1.0.0`])
    ).stdout;
    assert.equal(raw, publicRaw, 'the same chart, the same manifest');
    const layout = join(work, 'layout');
    await exec(skopeo, [
      'copy',
      '--src-tls-verify=false',
      '--src-creds',
      `ci:${setup.ciToken}`,
      ref,
      `oci:${layout}:demo`,
    ]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    assert.equal(index.manifests[0]?.digest, `sha256:${sha256(Buffer.from(raw))}`);
  });
});
