import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { basic, users } from './support/auth-ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { peerBinary } from './support/debian-peers.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { type PushBallast, startPushBallast } from './support/push-ballast.ts';
import { type Registry, startRegistry } from './support/registry.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

const exec = promisify(execFile);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('OCI push into a hosted repo with real Helm 3 and 4 and skopeo', () => {
  let dir: string;
  let ballast: PushBallast;
  let charts: ClassicRepo;
  const archive = (version: string) => {
    const chart = charts.charts.find((c) => c.version === version);
    assert.ok(chart, version);
    return chart;
  };

  before(async () => {
    dir = await tempDir('oci-push-clients');
    charts = await buildClassicRepo(join(dir, 'charts'), {
      charts: [{ chart: 'demo-app', versions: ['3.0.0', '4.0.0+build.2', '5.0.0', '6.0.0'] }],
    });
    ballast = await startPushBallast(dir);
  });
  after(async () => {
    await ballast?.stop();
    await removeDir(dir);
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: registry login, push, pull back the same bytes; it is in the classic index`, async () => {
      await using helm = await createHelm(major);
      const plain = major === 3 ? ['--insecure'] : ['--plain-http'];
      const chart = archive(major === 3 ? '3.0.0' : '4.0.0+build.2');
      const target = `oci://${ballast.host}/team`;
      await assert.rejects(
        helm.run(['push', chart.path, target, '--plain-http']),
        /401|unauthorized|authentication required/i,
        'no login, no push',
      );
      await helm.run(
        ['registry', 'login', ballast.host, '--username', 'alice', '--password-stdin', ...plain],
        { input: users.alice },
      );
      const pushed = await helm.run(['push', chart.path, target, '--plain-http']);
      const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(`${pushed.stdout}${pushed.stderr}`)?.[1];
      const tag = chart.version.replace('+', '_');
      const served = await fetch(`${ballast.url}/v2/team/demo-app/manifests/${tag}`);
      assert.equal(served.headers.get('docker-content-digest'), digest, 'the manifest Helm pushed');
      assert.equal(`sha256:${sha256(Buffer.from(await served.arrayBuffer()))}`, digest);

      const dest = await mkdtemp(join(dir, `pulled-${major}-`));
      await helm.run([
        ...['pull', `${target}/demo-app`, '--version', chart.version],
        ...['--plain-http', '-d', dest],
      ]);
      const pulled = await readFile(join(dest, `demo-app-${chart.version}.tgz`));
      assert.equal(sha256(pulled), chart.digest, 'the chart comes back byte for byte');

      const index = await (await fetch(`${ballast.url}/team/index.yaml`)).text();
      assert.ok(index.includes(chart.digest), 'listed in the classic index at once');
      await helm.run(['repo', 'add', 'team', `${ballast.url}/team`]);
      const shown = await helm.run(['show', 'chart', 'team/demo-app', '--version', chart.version]);
      assert.match(
        shown.stdout,
        new RegExp(`^version: ${chart.version.replace('+', '\\+')}$`, 'm'),
      );
    });
  }

  test('Helm 4: a user who may only read is refused (403), and nothing changes', async () => {
    await using helm = await createHelm(4);
    await helm.run(
      ['registry', 'login', ballast.host, '--username', 'bob', '--password-stdin', '--plain-http'],
      { input: users.bob },
    );
    await assert.rejects(
      helm.run(['push', archive('6.0.0').path, `oci://${ballast.host}/team`, '--plain-http']),
      /403|denied|forbidden/i,
    );
    assert.equal(await ballast.repo.get('demo-app', '6.0.0'), undefined);
  });

  test('a chart uploaded without OCI is pulled over OCI, and removed by the digest served for it', async () => {
    const chart = archive('6.0.0');
    await ballast.repo.putChart(
      { chart: await readFile(chart.path) },
      { who: 'alice', address: '127.0.0.1' },
    );
    await using helm = await createHelm(4);
    const dest = await mkdtemp(join(dir, 'pulled-api-'));
    await helm.run([
      ...['pull', `oci://${ballast.host}/team/demo-app`, '--version', '6.0.0'],
      ...['--plain-http', '-d', dest],
    ]);
    assert.equal(sha256(await readFile(join(dest, 'demo-app-6.0.0.tgz'))), chart.digest);

    const manifest = `${ballast.url}/v2/team/demo-app/manifests`;
    const digest = (await fetch(`${manifest}/6.0.0`)).headers.get('docker-content-digest');
    const alice = { authorization: basic('alice', users.alice) };
    const refused = await fetch(`${manifest}/${digest}`, { method: 'DELETE' });
    assert.equal(refused.status, 401);
    const removed = await fetch(`${manifest}/${digest}`, { method: 'DELETE', headers: alice });
    assert.equal(removed.status, 202);
    assert.equal((await fetch(`${manifest}/6.0.0`)).status, 404);
    const index = await (await fetch(`${ballast.url}/team/index.yaml`)).text();
    assert.ok(!index.includes(chart.digest), 'gone from the classic index too');
  });

  describe('skopeo copy from the reference registry into Ballast and back out', () => {
    let registry: Registry;
    const policyArgs: string[] = [];
    const skopeo = (args: string[]) =>
      exec(peerBinary('skopeo'), [...policyArgs, ...args], {
        env: { ...process.env, HOME: dir, REGISTRY_AUTH_FILE: join(dir, 'skopeo-auth.json') },
        timeout: 60_000,
      });
    const raw = async (ref: string) =>
      (await skopeo(['inspect', '--raw', '--tls-verify=false', '--no-creds', ref])).stdout;

    before(async () => {
      registry = await startRegistry();
      const policy = join(dir, 'policy.json');
      await writeFile(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
      policyArgs.push('--policy', policy);
      await using helm = await createHelm(4);
      await helm.run([
        'push',
        archive('5.0.0').path,
        `oci://${registry.host}/charts`,
        '--plain-http',
      ]);
    });
    after(() => registry?.stop());

    test('the manifest arrives, is served and leaves byte-identical; the chart is listed', async () => {
      const source = `docker://${registry.host}/charts/demo-app:5.0.0`;
      const inBallast = `docker://${ballast.host}/team/demo-app:5.0.0`;
      const plain = ['--src-tls-verify=false', '--dest-tls-verify=false'];
      await assert.rejects(
        skopeo(['copy', ...plain, '--dest-creds', 'ci:wrong', source, inBallast]),
        /unauthorized|401/i,
      );
      await skopeo(['copy', ...plain, '--dest-creds', `ci:${ballast.ciToken}`, source, inBallast]);
      const original = await raw(source);
      assert.equal(await raw(inBallast), original, 'Ballast serves the pushed manifest unchanged');

      const back = `docker://${registry.host}/copied/demo-app:5.0.0`;
      await skopeo(['copy', ...plain, '--src-no-creds', '--dest-no-creds', inBallast, back]);
      assert.equal(await raw(back), original, 'and it leaves unchanged');

      const tags = await skopeo([
        ...['list-tags', '--tls-verify=false', '--no-creds'],
        `docker://${ballast.host}/team/demo-app`,
      ]);
      assert.ok((JSON.parse(tags.stdout) as { Tags: string[] }).Tags.includes('5.0.0'));
      const version = await ballast.repo.get('demo-app', '5.0.0');
      assert.equal(version?.digest, `sha256:${archive('5.0.0').digest}`);
    });
  });
});
