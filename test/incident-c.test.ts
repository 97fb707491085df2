import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import {
  type FaultAction,
  type FaultUpstream,
  startFaultUpstream,
} from './support/fault-upstream.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { eventually, metricValue } from './support/http.ts';
import { helmPull, helmRepoUpdate, helmStyleGet } from './support/resilience-e2e.ts';
import { tempDir } from './support/temp-dir.ts';

// Incident C: a chart repository's gh-pages branch was deleted, so its index.yaml went 404
// while the charts stayed available elsewhere. Ballast keeps serving the last good index
// (saying it is stale), and a cold mirror takes the index from the next upstream.

const indexFaults: { name: string; action: FaultAction }[] = [
  { name: '404', action: { status: 404, body: '404 page not found\n' } },
  { name: 'an empty body', action: { status: 200, body: '' } },
  {
    name: 'an index with no entries',
    action: { status: 200, body: 'apiVersion: v1\nentries: {}\n' },
  },
  { name: 'a truncated body', action: { truncateAt: 200 } },
];

/** Plan: index.yaml answers with the fault, every chart file is served as it is. */
const faultIndex = (action: FaultAction) => (request: { path: string }) =>
  request.path === '/index.yaml' ? action : undefined;

describe('incident C: the primary index.yaml turns 404, empty or truncated', () => {
  let work: string;
  let repo: ClassicRepo;
  let expected: string[];

  before(async () => {
    work = await tempDir('incident-c');
    repo = await buildClassicRepo(join(work, 'repo'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0'] },
        { chart: 'demo-config', versions: ['1.0.0', '2.0.0'] },
      ],
    });
    expected = repo.charts.map((c) => `${c.name}@${c.version}:${c.digest}`).sort();
  });

  /** The index Ballast serves, as `name@version:digest`, and its stale marker. */
  async function servedIndex(url: string) {
    const response = await helmStyleGet(url);
    assert.equal(response.status, 200, `${url}: ${response.error ?? response.body.toString()}`);
    const index = JSON.parse(response.body.toString()) as {
      entries: Record<string, { name: string; version: string; digest: string }[]>;
    };
    const entries = Object.values(index.entries)
      .flat()
      .map((e) => `${e.name}@${e.version}:${e.digest}`)
      .sort();
    return { entries, stale: response.headers['ballast-stale'] };
  }

  async function helmWorks(repoUrl: string, version: string) {
    for (const major of helmMajors) {
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'demo', repoUrl]);
      await helmRepoUpdate(helm, 'demo');
      const dest = await mkdtemp(join(work, `helm${major}-`));
      const digest = repo.charts.find((c) => c.name === 'demo-app' && c.version === version);
      assert.equal(await helmPull(helm, 'demo/demo-app', version, dest), digest?.digest);
    }
  }

  describe('warm: the last good index is served and marked stale', () => {
    let solo: FaultUpstream;
    let primary: FaultUpstream;
    let secondary: FaultUpstream;
    let ballast: BallastProcess;

    before(async () => {
      solo = await startFaultUpstream({ root: repo.dir });
      primary = await startFaultUpstream({ root: repo.dir });
      secondary = await startFaultUpstream({ root: repo.dir });
      // refresh 0s: every index request starts a background revalidation.
      ballast = await startBallastProcess({
        repos: [
          { name: 'solo', upstreams: [{ url: solo.url }], refresh: '0s' },
          {
            name: 'pair',
            upstreams: [{ url: primary.url }, { url: secondary.url }],
            refresh: '0s',
          },
        ],
      });
      for (const name of ['solo', 'pair']) {
        const warm = await servedIndex(`${ballast.url}/${name}/index.yaml`);
        assert.deepEqual(warm.entries, expected);
        assert.equal(warm.stale, undefined);
        const chart = await helmStyleGet(`${ballast.url}/${name}/charts/demo-app-1.0.0.tgz`);
        assert.equal(chart.status, 200);
      }
    });

    after(async () => {
      await ballast?.stop();
      for (const upstream of [solo, primary, secondary]) await upstream?.stop();
    });

    for (const fault of indexFaults) {
      test(`${fault.name}: the only upstream's last good index is served with ballast-stale`, async () => {
        const staleBefore = await metricValue(ballast.url, 'ballast_index_stale_served_total', {
          repo: 'solo',
        });
        solo.setPlan(faultIndex(fault.action));
        const url = `${ballast.url}/solo/index.yaml`;
        await eventually(async () => {
          const { stale } = await servedIndex(url);
          assert.ok(stale, 'the response says it is stale');
        }, 30_000);
        const served = await servedIndex(url);
        assert.deepEqual(served.entries, expected, 'the last good index, whole');
        assert.match(served.stale ?? '', /^BALLAST_/, 'the header carries the error code');
        const staleAfter = await metricValue(ballast.url, 'ballast_index_stale_served_total', {
          repo: 'solo',
        });
        assert.ok(staleAfter > staleBefore, 'stale serves are counted');
        await helmWorks(`${ballast.url}/solo`, '1.0.0');

        solo.setPlan(undefined);
        await eventually(async () => {
          assert.equal((await servedIndex(url)).stale, undefined, 'fresh again once it recovers');
        }, 30_000);
      });

      test(`${fault.name} on the primary of two: the index keeps every version, Helm keeps working`, async () => {
        primary.setPlan(faultIndex(fault.action));
        const url = `${ballast.url}/pair/index.yaml`;
        const secondaryIndexes = () =>
          secondary.requests.filter((r) => r.path === '/index.yaml').length;
        const before = secondaryIndexes();
        // Revalidations meet the fault; whether the secondary's copy or the last good one is
        // served, it must be whole.
        await eventually(async () => {
          assert.deepEqual((await servedIndex(url)).entries, expected);
          assert.ok(secondaryIndexes() > before, 'the secondary was asked for its index');
        }, 30_000);
        await helmWorks(`${ballast.url}/pair`, '1.0.0');
        primary.setPlan(undefined);
      });
    }
  });

  describe('cold: a fresh mirror takes the index from the second upstream', () => {
    for (const fault of indexFaults) {
      test(`${fault.name} from the first upstream: the second upstream's index is served`, async (t) => {
        const primary = await startFaultUpstream({
          root: repo.dir,
          plan: faultIndex(fault.action),
        });
        t.after(() => primary.stop());
        const secondary = await startFaultUpstream({ root: repo.dir });
        t.after(() => secondary.stop());
        const ballast = await startBallastProcess({
          repos: [{ name: 'demo', upstreams: [{ url: primary.url }, { url: secondary.url }] }],
        });
        t.after(() => ballast.stop());

        const served = await servedIndex(`${ballast.url}/demo/index.yaml`);
        assert.deepEqual(served.entries, expected);
        assert.ok(
          primary.requests.some((r) => r.path === '/index.yaml'),
          'the first upstream was asked first',
        );
        assert.ok(secondary.requests.some((r) => r.path === '/index.yaml'));
        await helmWorks(`${ballast.url}/demo`, '0.2.0');
        assert.ok(
          secondary.requests.some((r) => r.path === '/demo-app-0.2.0.tgz'),
          'the chart came from the upstream whose index was used',
        );
      });
    }
  });
});
