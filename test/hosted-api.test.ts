import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { request } from 'undici';
import { basic, hashToken, users, writeHtpasswd } from './support/auth-ballast.ts';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type PackagedChart } from './support/classic-repo.ts';
import { cmPush } from './support/cm-push.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { httpRequest } from './support/http.ts';
import { isWrite, serverRouteTable } from './support/route-table.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';

interface Entry {
  name: string;
  version: string;
  digest: string;
  urls: string[];
  appVersion?: string;
}

async function send(
  url: string,
  method: 'POST' | 'DELETE' | 'GET' | 'HEAD',
  options: { body?: Buffer; authorization?: string; contentType?: string } = {},
) {
  const response = await request(url, {
    method,
    headers: {
      ...(options.authorization ? { authorization: options.authorization } : {}),
      ...(options.contentType ? { 'content-type': options.contentType } : {}),
    },
    ...(options.body ? { body: options.body } : {}),
  });
  const text = await response.body.text();
  return {
    status: response.statusCode,
    headers: response.headers,
    json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

describe('hosted repositories through the ChartMuseum API, with real Helm', () => {
  let ballast: BallastProcess;
  let upstream: StaticServer;
  let ciToken: string;
  let charts: PackagedChart[];
  let clash: PackagedChart;
  let api: string;
  const ci = () => `Bearer ${ciToken}`;
  const alice = basic('alice', users.alice);
  const chartOf = (version: string) => charts.find((c) => c.version === version) as PackagedChart;
  const pushed = async (version: string) => ({
    name: `demo-app-${version}.tgz`,
    data: await readFile(chartOf(version).path),
  });
  const listed = async (repo: string) => {
    const index = await httpRequest(`${ballast.url}/${repo}/index.yaml`, {
      headers: { authorization: alice, 'user-agent': 'Helm/3.17.2' },
    });
    return JSON.parse(index.body.toString()) as {
      entries: Record<string, Entry[]>;
      serverInfo: unknown;
    };
  };

  before(async () => {
    const work = await mkdtemp(join(tmpdir(), 'ballast-hosted-'));
    const repo = await buildClassicRepo(join(work, 'charts'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '1.0.0', '1.1.0'] }],
    });
    charts = repo.charts;
    const other = await buildClassicRepo(join(work, 'clash'), {
      charts: [{ chart: 'demo-app', versions: ['1.0.0'], appVersion: '9.9.9' }],
    });
    clash = other.charts[0] as PackagedChart;
    const upstreamRepo = await buildClassicRepo(join(work, 'upstream'), {
      charts: [
        { chart: 'demo-config', versions: ['2.0.0'] },
        { chart: 'demo-app', versions: ['1.0.0'] },
      ],
    });
    upstream = await startStaticServer({ root: upstreamRepo.dir });
    const htpasswd = join(work, 'htpasswd');
    await writeHtpasswd(htpasswd, users);
    const token = await hashToken('ci');
    ciToken = token.token;
    ballast = await startBallastProcess({
      auth: { htpasswd, tokens: [token.entry], throttle: { delay: '10ms', maxDelay: '100ms' } },
      repos: [
        {
          name: 'team',
          hosted: true,
          overwrite: 'force',
          maxUploadSize: '64KiB',
          access: { read: ['alice', 'bob', 'ci'], write: ['alice', 'ci'] },
        },
        { name: 'locked', hosted: true },
        {
          name: 'both',
          hosted: true,
          upstreams: [{ url: upstream.url }],
          access: { write: ['ci'] },
        },
        { name: 'mirror', upstreams: [{ url: upstream.url }] },
      ],
    });
    api = `${ballast.url}/api/team/charts`;
  });
  after(async () => {
    await ballast?.stop();
    await upstream?.stop();
  });

  test('cm-push style multipart with a bearer token, then with Basic: 201 {"saved":true}, listed at once', async () => {
    const first = await cmPush(api, { chart: await pushed('1.0.0') }, { authorization: ci() });
    assert.equal(first.status, 201, first.body);
    assert.deepEqual(first.json, { saved: true });
    assert.equal((await listed('team')).entries['demo-app']?.[0]?.version, '1.0.0');
    const second = await cmPush(api, { chart: await pushed('0.1.0') }, { authorization: alice });
    assert.equal(second.status, 201, second.body);
    const raw = await send(api, 'POST', {
      body: await readFile(chartOf('1.1.0').path),
      authorization: alice,
      contentType: 'application/gzip',
    });
    assert.equal(raw.status, 201);
    const index = await listed('team');
    assert.deepEqual(index.serverInfo, { contextPath: '' });
    // A view of a hosted index is cut from it as from a mirror's.
    const view = await httpRequest(`${ballast.url}/team/index.yaml?charts=demo-app&latest=1`, {
      headers: { authorization: alice },
    });
    const viewed = JSON.parse(view.body.toString()) as { entries: Record<string, Entry[]> };
    assert.deepEqual(
      viewed.entries['demo-app']?.map((e) => e.version),
      ['1.1.0'],
    );
    const entries = index.entries['demo-app'] ?? [];
    assert.deepEqual(
      entries.map((e) => e.version),
      ['1.1.0', '1.0.0', '0.1.0'],
    );
    assert.equal(entries[1]?.digest, chartOf('1.0.0').digest);
    assert.deepEqual(entries[1]?.urls, ['charts/demo-app-1.0.0.tgz']);
    const audit = ballast.logs().filter((l) => l.event === 'audit:write');
    assert.deepEqual(
      audit.map((l) => [l.who, l.action, l.version, l.digest, l.address]),
      [
        ['ci', 'upload', '1.0.0', `sha256:${chartOf('1.0.0').digest}`, '127.0.0.1'],
        ['alice', 'upload', '0.1.0', `sha256:${chartOf('0.1.0').digest}`, '127.0.0.1'],
        ['alice', 'upload', '1.1.0', `sha256:${chartOf('1.1.0').digest}`, '127.0.0.1'],
      ],
    );
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: repo add --username --password, repo update, pull, template`, async () => {
      await using helm = await createHelm(major);
      await helm.run([
        'repo',
        'add',
        'team',
        `${ballast.url}/team`,
        '--username',
        'alice',
        '--password',
        users.alice,
      ]);
      await helm.run(['repo', 'update']);
      const dir = await mkdtemp(join(tmpdir(), `ballast-hosted-pull-${major}-`));
      await helm.run(['pull', 'team/demo-app', '--version', '1.0.0', '--destination', dir]);
      assert.deepEqual(
        await readFile(join(dir, 'demo-app-1.0.0.tgz')),
        await readFile(chartOf('1.0.0').path),
      );
      const rendered = await helm.run(['template', 'r', 'team/demo-app', '--version', '1.1.0']);
      assert.match(rendered.stdout, /kind:/);
    });
  }

  test('the API answers as ChartMuseum: list with offset/limit, a chart, a version, 404 as {"error"}', async () => {
    const all = await send(api, 'GET', { authorization: alice });
    assert.deepEqual(Object.keys(all.json ?? {}), ['demo-app']);
    assert.equal((all.json?.['demo-app'] as Entry[] | undefined)?.length, 3);
    assert.deepEqual((await send(`${api}?offset=1`, 'GET', { authorization: alice })).json, {});
    assert.equal((await send(`${api}?limit=0`, 'GET', { authorization: alice })).status, 400);
    const one = await send(`${api}/demo-app/1.0.0`, 'GET', { authorization: alice });
    assert.equal((one.json as unknown as Entry).digest, chartOf('1.0.0').digest);
    assert.equal(
      (await send(`${api}/demo-app/latest`, 'GET', { authorization: alice })).json?.version,
      '1.1.0',
    );
    assert.equal((await send(`${api}/demo-app`, 'HEAD', { authorization: alice })).status, 200);
    const missing = await send(`${api}/nothing`, 'GET', { authorization: alice });
    assert.equal(missing.status, 404);
    assert.equal(typeof missing.json?.error, 'string');
    assert.equal(
      (await send(`${api}/demo-app/9.9.9`, 'HEAD', { authorization: alice })).status,
      404,
    );
    assert.equal((await send(api, 'GET')).status, 401);
  });

  test('a version that exists: 409 {"error"}; with ?force it is replaced (overwrite: force)', async () => {
    const again = await cmPush(api, { chart: await pushed('1.0.0') }, { authorization: ci() });
    assert.equal(again.status, 409);
    assert.match(String(again.json?.error), /already.*\?force/);
    const replaced = await cmPush(
      api,
      { chart: { name: 'demo-app-1.0.0.tgz', data: await readFile(clash.path) } },
      { authorization: ci(), force: true },
    );
    assert.equal(replaced.status, 201, replaced.body);
    const entry = (await listed('team')).entries['demo-app']?.find((e) => e.version === '1.0.0');
    assert.equal(entry?.digest, clash.digest);
  });

  test('delete: 200 {"deleted":true}, then 404; gone from the index', async () => {
    const deleted = await send(`${api}/demo-app/0.1.0`, 'DELETE', { authorization: alice });
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.json, { deleted: true });
    assert.equal(
      (await send(`${api}/demo-app/0.1.0`, 'DELETE', { authorization: alice })).status,
      404,
    );
    const versions = (await listed('team')).entries['demo-app']?.map((e) => e.version);
    assert.deepEqual(versions, ['1.1.0', '1.0.0']);
  });

  test('hostile uploads get 400 or 413 and change nothing', async () => {
    const before = await send(api, 'GET', { authorization: alice });
    const chart = await pushed('0.1.0');
    const truncated = await cmPush(api, { chart }, { authorization: ci(), dropLast: 12 });
    assert.equal(truncated.status, 400, truncated.body);
    assert.equal(truncated.json?.code, 'BALLAST_UPLOAD_INVALID');
    const bad = await cmPush(
      api,
      { chart: { name: 'x.tgz', data: Buffer.from('not a chart') } },
      { authorization: ci() },
    );
    assert.equal(bad.status, 400);
    assert.equal(bad.json?.code, 'BALLAST_CHART_INVALID');
    const renamed = await cmPush(
      api,
      { chart: { name: 'other-0.1.0.tgz', data: chart.data } },
      { authorization: ci() },
    );
    assert.equal(renamed.status, 400);
    const big = Buffer.alloc(200 * 1024, 1);
    const declared = await send(api, 'POST', {
      body: big,
      authorization: ci(),
      contentType: 'application/gzip',
    });
    assert.equal(declared.status, 413);
    // Sent chunked, with no length to refuse up front: cut off at the limit.
    const chunked = await cmPush(
      api,
      { chart: { name: 'big.tgz', data: big } },
      { authorization: ci() },
    );
    assert.equal(chunked.status, 413);
    const empty = await cmPush(api, {}, { authorization: ci() });
    assert.equal(empty.status, 400);
    assert.deepEqual((await send(api, 'GET', { authorization: alice })).json, before.json);
  });

  test('writes without the right are refused: 401 with a Basic challenge, 403, 405 on a mirror', async () => {
    const chart = await pushed('0.1.0');
    const none = await cmPush(api, { chart });
    assert.equal(none.status, 401);
    const wrong = await cmPush(api, { chart }, { authorization: basic('alice', 'nope') });
    assert.equal(wrong.status, 401);
    const readOnly = await cmPush(api, { chart }, { authorization: basic('bob', users.bob) });
    assert.equal(readOnly.status, 403);
    assert.equal(readOnly.json?.code, 'BALLAST_AUTH_DENIED');
    const locked = await cmPush(
      `${ballast.url}/api/locked/charts`,
      { chart },
      { authorization: ci() },
    );
    assert.equal(locked.status, 403);
    assert.equal(locked.json?.code, 'BALLAST_AUTH_WRITE_OFF');
    const mirror = await cmPush(
      `${ballast.url}/api/mirror/charts`,
      { chart },
      { authorization: ci() },
    );
    assert.equal(mirror.status, 405);
    assert.match(String(mirror.json?.error), /mirror/);
    assert.equal((await send(`${ballast.url}/api/nowhere/charts`, 'GET')).status, 404);
  });

  test('every /api write route in the route table, tried with no, wrong and read-only credentials: 0 accepted, nothing changed', async () => {
    const writes = (await serverRouteTable()).filter(
      (r) => isWrite(r) && r.url.startsWith('/api/'),
    );
    assert.deepEqual(writes.map((r) => `${r.method} ${r.url}`).sort(), [
      'DELETE /api/:repo/charts/:name/:version',
      'POST /api/:repo/charts',
      'POST /api/:repo/prov',
    ]);
    const before = await send(api, 'GET', { authorization: alice });
    const chart = await readFile(chartOf('0.1.0').path);
    const params: Record<string, string> = { repo: 'team', name: 'demo-app', version: '1.0.0' };
    for (const route of writes) {
      const path = route.url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? name);
      for (const authorization of [
        undefined,
        basic('alice', 'wrong'),
        `Bearer nope`,
        basic('bob', users.bob),
      ]) {
        const response = await send(`${ballast.url}${path}`, route.method as 'POST', {
          body: chart,
          contentType: 'application/gzip',
          ...(authorization ? { authorization } : {}),
        });
        const expected = authorization?.startsWith('Basic Ym9i') ? 403 : 401;
        assert.equal(response.status, expected, `${route.method} ${path} ${authorization}`);
        if (expected === 401) assert.match(String(response.headers['www-authenticate']), /^Basic /);
      }
    }
    assert.deepEqual((await send(api, 'GET', { authorization: alice })).json, before.json);
  });

  test('a combined repo: uploads and the upstream in one index, the upload winning a clash', async () => {
    const url = `${ballast.url}/api/both/charts`;
    const up = await cmPush(
      url,
      { chart: { name: 'demo-app-1.0.0.tgz', data: await readFile(clash.path) } },
      { authorization: ci() },
    );
    assert.equal(up.status, 201, up.body);
    const index = await listed('both');
    assert.deepEqual(
      index.entries['demo-config']?.map((e) => e.version),
      ['2.0.0'],
    );
    assert.deepEqual(
      index.entries['demo-app']?.map((e) => e.digest),
      [clash.digest],
    );
    const pulled = await httpRequest(`${ballast.url}/both/charts/demo-app-1.0.0.tgz`);
    assert.deepEqual(pulled.body, await readFile(clash.path));
    assert.equal(
      (await httpRequest(`${ballast.url}/both/charts/demo-config-2.0.0.tgz`)).status,
      200,
    );
    // The upload is served over OCI too, and the status page lists the repository.
    await using helm = await createHelm(4);
    const dir = await mkdtemp(join(tmpdir(), 'ballast-hosted-oci-'));
    const host = new URL(ballast.url).host;
    await helm.run([
      'pull',
      `oci://${host}/both/demo-app`,
      '--version',
      '1.0.0',
      '--plain-http',
      '--destination',
      dir,
    ]);
    assert.deepEqual(await readFile(join(dir, 'demo-app-1.0.0.tgz')), await readFile(clash.path));
    const status = await httpRequest(`${ballast.url}/-/status`);
    assert.equal(status.status, 200);
    assert.ok(status.body.toString().includes('"both"'));
  });
});
