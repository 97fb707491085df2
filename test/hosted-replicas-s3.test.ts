import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { hashToken } from './support/auth-ballast.ts';
import type { BallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type PackagedChart } from './support/classic-repo.ts';
import { cmPush } from './support/cm-push.ts';
import { httpRequest } from './support/http.ts';
import { type Rgw, startRgw, startS3Replica } from './support/rgw.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

const helmHeaders = { 'user-agent': 'Helm/3.17.2' };

describe('a hosted repository on replicas sharing one S3 bucket (Ceph RGW)', () => {
  let rgw: Rgw;
  let work: string;
  let charts: PackagedChart[];
  let token: string;
  const replicas: BallastProcess[] = [];

  const versions = async (replica: BallastProcess) => {
    const index = await httpRequest(`${replica.url}/team/index.yaml`, { headers: helmHeaders });
    const entries = JSON.parse(index.body.toString()).entries as Record<
      string,
      { version: string }[]
    >;
    return Object.entries(entries)
      .flatMap(([name, list]) => list.map((v) => `${name}@${v.version}`))
      .sort();
  };
  const push = async (replica: BallastProcess, chart: PackagedChart) =>
    cmPush(
      `${replica.url}/api/team/charts`,
      { chart: { name: `${chart.name}-${chart.version}.tgz`, data: await readFile(chart.path) } },
      { authorization: `Bearer ${token}` },
    );

  before(async () => {
    rgw = await startRgw();
    work = await tempDir('hosted-replicas');
    charts = (
      await buildClassicRepo(join(work, 'charts'), {
        charts: [
          { chart: 'demo-app', versions: ['1.0.0', '1.1.0', '1.2.0'] },
          { chart: 'demo-config', versions: ['2.0.0', '2.1.0', '2.2.0'] },
        ],
      })
    ).charts;
    const ci = await hashToken('ci');
    token = ci.token;
    for (let i = 0; i < 2; i++)
      replicas.push(
        await startS3Replica(rgw, join(work, `data-${i}`), {
          auth: { tokens: [ci.entry] },
          repos: [{ name: 'team', hosted: true, access: { write: ['ci'] } }],
        }),
      );
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await rgw?.stop();
    if (work) await removeDir(work);
  });

  test('uploads through both replicas at once all land; each replica lists them within 2 s', async () => {
    const [a, b] = replicas as [BallastProcess, BallastProcess];
    const results = await Promise.all(
      charts.map((chart) => push(chart.name === 'demo-app' ? a : b, chart)),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      charts.map(() => 201),
      results.map((r) => r.body).join('\n'),
    );
    const expected = charts.map((c) => `${c.name}@${c.version}`).sort();
    const started = Date.now();
    for (const replica of [a, b]) {
      for (;;) {
        const seen = await versions(replica);
        if (seen.length === expected.length) {
          assert.deepEqual(seen, expected);
          break;
        }
        assert.ok(Date.now() - started < 2000, `replica lists ${seen.join(', ')} after 2 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    }
    // A chart uploaded through A is served by B's chart route at once.
    const chart = charts[0] as PackagedChart;
    const pulled = await httpRequest(`${b.url}/team/charts/${chart.name}-${chart.version}.tgz`);
    assert.deepEqual(pulled.body, await readFile(chart.path));
  });
});
