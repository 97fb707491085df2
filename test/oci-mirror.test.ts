import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { peerBinary } from './support/debian-peers.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { httpRequest } from './support/http.ts';
import { helmPushAll } from './support/oci-sources.ts';
import { type Registry, startRegistry } from './support/registry.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

const exec = promisify(execFile);
const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('OCI both ways: OCI upstreams, every repo over OCI, failover across protocols', () => {
  let work: string;
  let upstream: ClassicRepo;
  let classic: StaticServer;
  let registry: Registry;
  let ballast: BallastProcess;
  let host: string;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'ballast-oci-mirror-'));
    upstream = await buildClassicRepo(join(work, 'upstream'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '1.0.0', '1.1.0+build.3'] }],
    });
    classic = await startStaticServer({ root: upstream.dir });
    registry = await startRegistry();
    await helmPushAll(
      registry.host,
      'charts',
      upstream.charts.map((c) => c.path),
    );
    ballast = await startBallastProcess({
      repos: [
        { name: 'classic-only', upstreams: [{ url: classic.url }] },
        {
          name: 'oci-only',
          upstreams: [{ url: `oci://${registry.host}/charts`, plainHttp: true }],
          charts: ['demo-app'],
        },
        {
          name: 'both',
          upstreams: [
            { url: `${classic.url}/gone` },
            { url: `oci://${registry.host}/charts`, plainHttp: true },
          ],
          charts: ['demo-app'],
        },
        {
          name: 'cross',
          upstreams: [
            { url: classic.url },
            { url: `oci://${registry.host}/charts`, plainHttp: true },
          ],
          charts: ['demo-app'],
        },
      ],
    });
    host = new URL(ballast.url).host;
  });

  after(async () => {
    await ballast?.stop();
    await classic?.stop();
    await registry?.stop();
  });

  // First, while nothing is cached: a cached digest would be served without any fetch.
  test('a chart broken at the classic upstream is fetched from the OCI one, verified', async () => {
    const chart = upstream.charts.find((c) => c.version === '1.0.0');
    assert.ok(chart);
    const corrupted = Buffer.from(await readFile(chart.path));
    corrupted[100] = (corrupted[100] ?? 0) ^ 0xff;
    classic.setFault('/demo-app-1.0.0.tgz', { status: 200, body: corrupted });
    const response = await httpRequest(`${ballast.url}/cross/charts/demo-app-1.0.0.tgz`);
    classic.setFault('/demo-app-1.0.0.tgz', undefined);
    assert.equal(response.status, 200);
    assert.equal(sha256(response.body), chart.digest);
  });

  for (const repo of ['classic-only', 'oci-only', 'both']) {
    for (const major of helmMajors) {
      test(`Helm ${major}: pull and show chart over OCI from the ${repo} repo`, async () => {
        await using helm = await createHelm(major);
        const dest = await mkdtemp(join(work, `pull-${repo}-${major}-`));
        const ref = `oci://${host}/${repo}/demo-app`;
        await helm.run(['pull', ref, '--version', '1.0.0', '--plain-http', '-d', dest]);
        const pulled = await readFile(join(dest, 'demo-app-1.0.0.tgz'));
        const expected = upstream.charts.find((c) => c.version === '1.0.0')?.digest;
        assert.equal(sha256(pulled), expected);
        const shown = (
          await helm.run(['show', 'chart', ref, '--version', '1.1.0+build.3', '--plain-http'])
        ).stdout;
        assert.match(shown, /version: 1\.1\.0\+build\.3/);
      });
    }
  }

  test('the classic face of an OCI-only repo works with helm repo add and pull', async () => {
    for (const major of helmMajors) {
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'ocirepo', `${ballast.url}/oci-only`]);
      const search = JSON.parse(
        (await helm.run(['search', 'repo', 'ocirepo/', '--versions', '-o', 'json'])).stdout,
      ) as {
        version: string;
      }[];
      assert.deepEqual(search.map((r) => r.version).sort(), ['0.1.0', '1.0.0', '1.1.0+build.3']);
      const dest = await mkdtemp(join(work, `classic-face-${major}-`));
      await helm.run(['pull', 'ocirepo/demo-app', '--version', '0.1.0', '-d', dest]);
      const expected = upstream.charts.find((c) => c.version === '0.1.0')?.digest;
      assert.equal(sha256(await readFile(join(dest, 'demo-app-0.1.0.tgz'))), expected);
    }
  });

  test('manifests of charts from an OCI upstream are the upstream bytes; classic ones are deterministic', async () => {
    const accept = { accept: 'application/vnd.oci.image.manifest.v1+json' };
    const fromRegistry = await httpRequest(`${registry.url}/v2/charts/demo-app/manifests/1.0.0`, {
      headers: accept,
    });
    const fromBallast = await httpRequest(`${ballast.url}/v2/oci-only/demo-app/manifests/1.0.0`, {
      headers: accept,
    });
    assert.deepEqual(fromBallast.body, fromRegistry.body);
    assert.equal(
      fromBallast.headers['docker-content-digest'],
      fromRegistry.headers['docker-content-digest'],
    );
    const first = await httpRequest(`${ballast.url}/v2/classic-only/demo-app/manifests/1.0.0`);
    const again = await httpRequest(`${ballast.url}/v2/classic-only/demo-app/manifests/1.0.0`);
    assert.equal(first.status, 200);
    assert.deepEqual(first.body, again.body);
    const byDigest = await httpRequest(
      `${ballast.url}/v2/classic-only/demo-app/manifests/${first.headers['docker-content-digest']}`,
    );
    assert.deepEqual(byDigest.body, first.body);
  });

  test('skopeo lists tags, inspects and copies from the OCI face with the source digests', async () => {
    const skopeo = peerBinary('skopeo');
    const tls = ['--tls-verify=false'];
    const tags = JSON.parse(
      (await exec(skopeo, ['list-tags', ...tls, `docker://${host}/oci-only/demo-app`])).stdout,
    ) as {
      Tags: string[];
    };
    assert.deepEqual(tags.Tags.sort(), ['0.1.0', '1.0.0', '1.1.0_build.3']);
    const raw = (
      await exec(skopeo, ['inspect', '--raw', ...tls, `docker://${host}/oci-only/demo-app:1.0.0`])
    ).stdout;
    const upstreamRaw = (
      await exec(skopeo, [
        'inspect',
        '--raw',
        ...tls,
        `docker://${registry.host}/charts/demo-app:1.0.0`,
      ])
    ).stdout;
    assert.equal(raw, upstreamRaw);
    const layout = join(work, 'layout');
    await exec(skopeo, [
      'copy',
      '--src-tls-verify=false',
      `docker://${host}/classic-only/demo-app:1.0.0`,
      `oci:${layout}:demo`,
    ]);
    const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8')) as {
      manifests: { digest: string }[];
    };
    const served = await httpRequest(`${ballast.url}/v2/classic-only/demo-app/manifests/1.0.0`);
    assert.equal(index.manifests[0]?.digest, served.headers['docker-content-digest']);
  });

  test('a cold repo whose classic index is gone is filled from the OCI upstream', async () => {
    const response = await httpRequest(`${ballast.url}/both/index.yaml`);
    assert.equal(response.status, 200);
    const index = JSON.parse(response.body.toString()) as {
      entries: Record<string, { version: string }[]>;
    };
    assert.deepEqual(index.entries['demo-app']?.map((e) => e.version).sort(), [
      '0.1.0',
      '1.0.0',
      '1.1.0+build.3',
    ]);
  });

  test('with the OCI upstream stopped, a warm mirror keeps serving both faces', async () => {
    for (const file of ['0.1.0', '1.0.0', '1.1.0+build.3']) {
      assert.equal(
        (await httpRequest(`${ballast.url}/oci-only/charts/demo-app-${file}.tgz`)).status,
        200,
      );
    }
    await registry.stop();
    await using helm = await createHelm(4);
    const dest = await mkdtemp(join(work, 'after-stop-'));
    await helm.run([
      'pull',
      `oci://${host}/oci-only/demo-app`,
      '--version',
      '1.0.0',
      '--plain-http',
      '-d',
      dest,
    ]);
    await helm.run(['repo', 'add', 'ocirepo', `${ballast.url}/oci-only`]);
    await helm.run(['pull', 'ocirepo/demo-app', '--version', '0.1.0', '-d', dest]);
  });
});
