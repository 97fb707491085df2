import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { buildClassicRepo, type PackagedChart } from './support/classic-repo.ts';
import { peerBinary } from './support/debian-peers.ts';
import { createHelm } from './support/helm.ts';
import { httpRequest } from './support/http.ts';
import { type Nginx, startNginx } from './support/nginx.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// Private classic upstreams and file mirrors: Basic auth against real nginx (auth_basic, a
// bcrypt user file made by htpasswd -B) and a Bearer token against a loopback server that
// refuses anything else. Credentials come from secret references and go to the upstream's
// own origin only: a chartHosts host and a cross-origin redirect target (a sink that
// records every header) never see them, and no log line, metric or error holds them.

const cdnName = 'cdn.ballast.test';
const sha256 = (bytes: Uint8Array | string) => createHash('sha256').update(bytes).digest('hex');

describe('private upstreams: credentials to their own origin only', () => {
  let work: string;
  let nginx: Nginx;
  let bearer: StaticServer;
  /** A chartHosts host and redirect target: records what reaches it. */
  let sink: StaticServer;
  let ballast: BallastProcess;
  /** Charts of the Basic upstream, then of the Bearer one (blobs are shared by digest). */
  let charts: PackagedChart[];
  let bearerCharts: PackagedChart[];
  const password = `pw-${randomUUID()}`;
  const token = `tok-${randomUUID()}`;
  const chart = (version: string) =>
    [...charts, ...bearerCharts].find((c) => c.version === version) as PackagedChart;
  const file = (c: PackagedChart) => `${c.name}-${c.version}.tgz`;

  before(async () => {
    work = await tempDir('upstream-auth');
    const repoDir = join(work, 'repo');
    const bearerDir = join(work, 'bearer');
    const [repo, bearerRepo] = await Promise.all([
      buildClassicRepo(repoDir, {
        charts: [{ chart: 'demo-app', versions: ['0.1.0', '0.2.0', '0.3.0'] }],
      }),
      buildClassicRepo(bearerDir, {
        charts: [{ chart: 'demo-app', versions: ['1.0.0', '1.1.0', '1.2.0'] }],
      }),
    ]);
    charts = repo.charts;
    bearerCharts = bearerRepo.charts;
    // The sink serves both: one chart of each index lives there, as on a CDN.
    sink = await startStaticServer({ root: work });
    for (const [dir, version] of [
      ['repo', '0.2.0'],
      ['bearer', '1.1.0'],
    ] as const) {
      const path = join(work, dir, 'index.yaml');
      const name = file(chart(version));
      const text = await readFile(path, 'utf8');
      await writeFile(
        path,
        text.replace(`- ${name}`, `- http://${cdnName}:${sink.port}/${dir}/${name}`),
      );
    }
    await mkdir(join(bearerDir, 'files'));
    await writeFile(join(bearerDir, 'files', 'tool.bin'), 'the tool\n');
    await writeFile(
      join(bearerDir, 'files', 'tool.bin.sha256sum'),
      `${sha256('the tool\n')}  tool.bin\n`,
    );

    const users = join(work, 'htpasswd');
    await promisify(execFile)(peerBinary('htpasswd'), ['-B', '-b', '-c', users, 'ci', password]);
    nginx = await startNginx({ root: repoDir, userFile: users });
    bearer = await startStaticServer({ root: bearerDir, authorization: `Bearer ${token}` });
    // A chart and a file whose upstream redirects them to another origin.
    bearer.setFault(`/${file(chart('1.2.0'))}`, {
      status: 302,
      headers: { location: `http://${cdnName}:${sink.port}/bearer/${file(chart('1.2.0'))}` },
    });
    bearer.setFault('/files/tool.bin', {
      status: 307,
      headers: { location: `http://${cdnName}:${sink.port}/bearer/files/tool.bin` },
    });
    const tokenFile = join(work, 'token');
    await writeFile(tokenFile, `${token}\n`);

    ballast = await startBallastProcess(
      {
        resolver: { hosts: { [cdnName]: ['127.0.0.1'] } },
        repos: [
          {
            name: 'basic',
            upstreams: [
              {
                url: nginx.url,
                chartHosts: [cdnName],
                auth: { username: 'ci', password: { env: 'CHARTS_PASSWORD' } },
              },
            ],
          },
          {
            name: 'bearer',
            upstreams: [
              { url: bearer.url, chartHosts: [cdnName], auth: { token: { file: tokenFile } } },
            ],
          },
          { name: 'anonymous', upstreams: [{ url: nginx.url }] },
        ],
        files: [
          {
            name: 'private',
            upstreams: [
              {
                url: `${bearer.url}/files`,
                redirectHosts: [cdnName],
                auth: { token: { file: tokenFile } },
              },
            ],
          },
        ],
      },
      { env: { CHARTS_PASSWORD: password } },
    );
  });

  after(async () => {
    await ballast?.stop();
    await Promise.all([nginx?.stop(), bearer?.stop(), sink?.stop()]);
    if (work) await removeDir(work);
  });

  async function pullAll(repo: string, all: readonly PackagedChart[]): Promise<void> {
    const index = await httpRequest(`${ballast.url}/${repo}/index.yaml`);
    assert.equal(index.status, 200, index.body.toString());
    for (const c of all) {
      const response = await httpRequest(`${ballast.url}/${repo}/charts/${file(c)}`);
      assert.equal(response.status, 200, `${file(c)}: ${response.body.toString()}`);
      assert.equal(sha256(response.body), c.digest);
    }
  }

  test('basic auth from an env reference: real nginx lets Ballast in, not the chartHosts host', async () => {
    await pullAll('basic', charts);
    const log = await nginx.accessLog();
    // The repository `anonymous` (same nginx, no auth) is refused; `basic` is let in.
    const served = log.filter((line) => !line.endsWith(' -'));
    assert.deepEqual(served.map((line) => line.split(' ')[1]).sort(), [
      `/${file(chart('0.1.0'))}`,
      `/${file(chart('0.3.0'))}`,
      '/index.yaml',
    ]);
    for (const line of served) assert.match(line, / 200 \d+ ci$/, line);
    for (const line of log.filter((l) => l.endsWith(' -')))
      assert.match(line, /^GET \/index.yaml 401 /);
    const atSink = sink.requests.filter((r) => r.path === `/repo/${file(chart('0.2.0'))}`);
    assert.equal(atSink.length, 1);
    assert.equal(atSink[0]?.headers.authorization, undefined, 'no credentials to chartHosts');
  });

  test('real Helm pulls a chart of the private repository through Ballast, no credentials needed', async () => {
    await using helm = await createHelm(4);
    await helm.run(['repo', 'add', 'private', `${ballast.url}/basic`]);
    const dest = join(work, 'helm-pull');
    await mkdir(dest);
    await helm.run(['pull', 'private/demo-app', '--version', '0.3.0', '-d', dest]);
    assert.equal(sha256(await readFile(join(dest, file(chart('0.3.0'))))), chart('0.3.0').digest);
  });

  test('without credentials the same upstream refuses, and Ballast says so', async () => {
    const response = await httpRequest(`${ballast.url}/anonymous/index.yaml`);
    assert.equal(response.status, 503);
    assert.match(response.body.toString(), /BALLAST_UPSTREAM_STATUS.*HTTP 401/);
  });

  test('a bearer token from a file reference; a cross-origin redirect target gets none', async () => {
    const before = sink.requests.length;
    await pullAll('bearer', bearerCharts);
    const redirected = `/${file(chart('1.2.0'))}`;
    const atBearer = bearer.requests.filter((r) => !r.path.startsWith('/files/'));
    assert.ok(
      atBearer.some((r) => r.path === redirected),
      'asked the upstream first',
    );
    for (const request of atBearer)
      assert.equal(request.headers.authorization, `Bearer ${token}`, request.path);
    const atSink = sink.requests.slice(before);
    assert.deepEqual(atSink.map((r) => r.path).sort(), [
      `/bearer/${file(chart('1.1.0'))}`,
      `/bearer${redirected}`,
    ]);
    for (const request of atSink) assert.equal(request.headers.authorization, undefined);
  });

  test('a private file mirror: token to its origin, none to the redirect target', async () => {
    const response = await httpRequest(`${ballast.url}/files/private/tool.bin`);
    assert.equal(response.status, 200, response.body.toString());
    assert.equal(response.body.toString(), 'the tool\n');
    const atSink = sink.requests.filter((r) => r.path === '/bearer/files/tool.bin');
    assert.equal(atSink.length, 1);
    assert.equal(atSink[0]?.headers.authorization, undefined);
  });

  test('no log line, metric, status or error holds a credential', async () => {
    await httpRequest(`${ballast.url}/basic/charts/nope-1.0.0.tgz`);
    const basic = Buffer.from(`ci:${password}`).toString('base64');
    const seen = [
      JSON.stringify(ballast.logs()),
      ballast.process.output(),
      (await httpRequest(`${ballast.url}/metrics`)).body.toString(),
      (await httpRequest(`${ballast.url}/-/status`)).body.toString(),
      (await httpRequest(`${ballast.url}/anonymous/index.yaml`)).body.toString(),
    ].join('\n');
    for (const secret of [password, token, basic]) assert.ok(!seen.includes(secret), secret);
  });
});

test('config check and serve resolve secret references, naming the key that does not resolve', async (t) => {
  const dir = await tempDir('upstream-auth-config', t);
  const file = await writeBallastConfig(dir, 'private', {
    repos: [
      {
        name: 'private',
        upstreams: [
          {
            url: 'https://charts.example.com/private',
            auth: { username: 'ci', password: { env: 'CHARTS_PASSWORD' } },
          },
        ],
      },
    ],
    files: [
      {
        name: 'tools',
        upstreams: [
          { url: 'https://get.example.com', auth: { token: { file: join(dir, 'nope') } } },
        ],
      },
    ],
  });
  const unset = { CHARTS_PASSWORD: undefined };
  for (const args of [
    ['config', 'check', file],
    ['serve', '--config', file],
  ]) {
    const run = await runBallastCli(args, { env: unset, timeoutMs: 30_000 });
    assert.equal(run.code, 1, run.stderr);
    assert.match(
      run.stderr,
      /BALLAST_CONFIG_INVALID: config: repos\[0\]\.upstreams\[0\]\.auth\.password: environment variable CHARTS_PASSWORD is not set/,
    );
  }
  const run = await runBallastCli(['config', 'check', file], { env: { CHARTS_PASSWORD: 'pw' } });
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /files\[0\]\.upstreams\[0\]\.auth\.token: file .*nope cannot be read \(ENOENT\)/,
  );
  await writeFile(join(dir, 'nope'), 'token\n');
  const ok = await runBallastCli(['config', 'check', file], { env: { CHARTS_PASSWORD: 'pw' } });
  assert.equal(ok.code, 0, ok.stderr);
});
