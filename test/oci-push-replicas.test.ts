import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { basic, hashToken } from './support/auth-ballast.ts';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type PackagedChart } from './support/classic-repo.ts';
import { createHelm } from './support/helm.ts';
import { eventually, httpRequest } from './support/http.ts';
import { helmArtifact } from './support/oci-push.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

const sha256 = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/**
 * Two `ballast serve` processes on one store, as replicas behind a load balancer: a push whose
 * requests alternate between them completes, and each serves what the other took.
 */
describe('OCI push across two replicas of ballast serve', () => {
  let dir: string;
  let replicas: BallastProcess[] = [];
  let ci: string;
  let chart: PackagedChart;

  before(async () => {
    dir = await tempDir('oci-push-replicas');
    const token = await hashToken('ci');
    ci = basic('ci', token.token);
    const built = await buildClassicRepo(join(dir, 'charts'), {
      charts: [{ chart: 'demo-app', versions: ['1.2.3'] }],
    });
    chart = built.charts[0] as PackagedChart;
    const config = {
      auth: { tokens: [token.entry] },
      repos: [{ name: 'team', hosted: true, access: { write: ['ci'] } }],
    };
    const dataDir = join(dir, 'data');
    const first = await startBallastProcess(config, { dataDir });
    replicas = [first, await startBallastProcess(config, { dataDir })];
  });
  after(async () => {
    for (const replica of replicas) await replica.stop();
    await removeDir(dir);
  });

  const send = async (
    replica: number,
    method: 'GET' | 'POST' | 'PATCH' | 'PUT',
    path: string,
    body?: Buffer,
    headers: Record<string, string> = {},
  ) => {
    const response = await fetch(`${replicas[replica]?.url}${path}`, {
      method,
      headers: { authorization: ci, ...headers },
      ...(body ? { body } : {}),
    });
    await response.arrayBuffer();
    return { status: response.status, headers: Object.fromEntries(response.headers) };
  };

  test('chunks go to either replica; an out-of-order one is 416; the manifest lands; both serve it', async () => {
    const archive = await readFile(chart.path);
    const artifact = await helmArtifact('demo-app', '1.2.3', archive);
    const config = await send(
      1,
      'POST',
      `/v2/team/demo-app/blobs/uploads/?digest=${sha256(artifact.config)}`,
      artifact.config,
    );
    assert.equal(config.status, 201);

    const started = await send(0, 'POST', '/v2/team/demo-app/blobs/uploads/');
    assert.equal(started.status, 202);
    const location = String(started.headers.location);
    const half = Math.floor(archive.length / 2);
    const range = (from: number, to: number) => ({ 'content-range': `${from}-${to - 1}` });
    const first = await send(1, 'PATCH', location, archive.subarray(0, half), range(0, half));
    assert.equal(first.status, 202);
    assert.equal(first.headers.range, `0-${half - 1}`);
    const skipped = await send(
      0,
      'PATCH',
      location,
      archive.subarray(half + 1),
      range(half + 1, archive.length),
    );
    assert.equal(skipped.status, 416);
    const status = await send(0, 'GET', location);
    assert.equal(status.status, 204);
    assert.equal(status.headers.range, `0-${half - 1}`);
    const rest = await send(
      0,
      'PATCH',
      location,
      archive.subarray(half),
      range(half, archive.length),
    );
    assert.equal(rest.status, 202);
    const done = await send(1, 'PUT', `${location}?digest=${sha256(archive)}`);
    assert.equal(done.status, 201);

    const manifest = await send(0, 'PUT', '/v2/team/demo-app/manifests/1.2.3', artifact.manifest, {
      'content-type': 'application/vnd.oci.image.manifest.v1+json',
    });
    assert.equal(manifest.status, 201);
    assert.equal(manifest.headers['docker-content-digest'], artifact.manifestDigest);
    // The audit line reaches the test through the child's stdout, after the response.
    await eventually(async () => {
      const audit = replicas[0]?.logs().find((line) => line.event === 'audit:write');
      assert.equal(audit?.who, 'ci');
    });

    // The other replica sees the upload once it re-reads the catalogue (at most a second).
    await eventually(async () => {
      const served = await httpRequest(`${replicas[1]?.url}/v2/team/demo-app/manifests/1.2.3`);
      assert.equal(served.status, 200);
      assert.deepEqual(served.body, artifact.manifest);
    });
    await using helm = await createHelm(4);
    const dest = await mkdtemp(join(dir, 'pulled-'));
    const host = new URL(replicas[1]?.url ?? '').host;
    await helm.run([
      ...['pull', `oci://${host}/team/demo-app`, '--version', '1.2.3'],
      ...['--plain-http', '-d', dest],
    ]);
    assert.equal(sha256(await readFile(join(dest, 'demo-app-1.2.3.tgz'))), sha256(archive));
  });
});
