import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { type FaultUpstream, startFaultUpstream } from './support/fault-upstream.ts';
import { eventually } from './support/http.ts';
import { type RandomChartRepo, writeRandomChartRepo } from './support/random-chart-repo.ts';
import { helmStyleGet, metricSeries, percentile, sha256Hex } from './support/resilience-e2e.ts';
import { createSeededRandom, pick } from './support/seeded-random.ts';
import { tempDir } from './support/temp-dir.ts';

// Incident D: while etcd elected a leader, the API answered `etcdserver: leader changed` and
// `etcdserver: request timed out`. An upstream that does this to 20% of requests must cost
// Helm nothing: Ballast retries them.

const etcdFaults = [
  { status: 500, body: '{"kind":"Status","message":"etcdserver: leader changed"}' },
  { status: 503, body: '{"kind":"Status","message":"etcdserver: request timed out"}' },
];

describe('incident D: 20% of upstream answers are etcd leader changes and timeouts', () => {
  let repo: RandomChartRepo;
  let upstream: FaultUpstream;
  let ballast: BallastProcess;
  const injected = { total: 0, index: 0, chart: 0 };

  before(async () => {
    const work = await tempDir('incident-d');
    repo = await writeRandomChartRepo(join(work, 'repo'), {
      names: 20,
      versions: 10,
      minBytes: 1024,
      maxBytes: 16 * 1024,
      seed: 'incident-d',
    });
    // Deterministic: the same requests get the same faults on every run.
    const random = createSeededRandom(0xd1d);
    upstream = await startFaultUpstream({
      root: repo.dir,
      plan: ({ path }) => {
        if (random() >= 0.2) return undefined;
        injected.total++;
        if (path === '/index.yaml') injected.index++;
        else injected.chart++;
        const fault = pick(random, etcdFaults);
        return {
          status: fault.status,
          body: fault.body,
          headers: { 'content-type': 'application/json' },
        };
      },
    });
    // refresh 0s: each index fetch below also revalidates against the faulty upstream.
    ballast = await startBallastProcess({
      repos: [{ name: 'demo', upstreams: [{ url: upstream.url }], refresh: '0s' }],
    });
  });

  after(async () => {
    await ballast?.stop();
    await upstream?.stop();
  });

  test('200 sequential cold chart fetches and 20 index fetches see zero errors', async (t) => {
    const order = [...repo.charts];
    const shuffle = createSeededRandom(7);
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(shuffle() * (i + 1));
      [order[i], order[j]] = [
        order[j] as (typeof order)[number],
        order[i] as (typeof order)[number],
      ];
    }
    const errors: string[] = [];
    const chartMs: number[] = [];
    let fetches = 0;
    for (const [i, chart] of order.entries()) {
      if (i % 10 === 0) {
        fetches++;
        const index = await helmStyleGet(`${ballast.url}/demo/index.yaml`);
        if (index.status !== 200)
          errors.push(`index: ${index.status} ${index.error ?? index.body}`);
        else {
          const parsed = JSON.parse(index.body.toString()) as {
            entries: Record<string, unknown[]>;
          };
          const versions = Object.values(parsed.entries).flat().length;
          if (versions !== repo.charts.length) errors.push(`index: ${versions} versions`);
        }
      }
      fetches++;
      const response = await helmStyleGet(`${ballast.url}/demo/charts/${chart.file}`);
      chartMs.push(response.ms);
      if (response.status !== 200) {
        errors.push(`${chart.file}: ${response.status} ${response.error ?? response.body}`);
      } else if (sha256Hex(response.body) !== chart.digest) {
        errors.push(`${chart.file}: bytes do not match the digest`);
      }
    }
    t.diagnostic(
      `${fetches} fetches; upstream faults injected: ${injected.total} (${injected.chart} chart, ${injected.index} index); chart fetch p50 ${percentile(chartMs, 50).toFixed(0)} ms, p99 ${percentile(chartMs, 99).toFixed(0)} ms`,
    );
    assert.deepEqual(errors, [], 'no fetch failed');
    assert.equal(fetches, 220);
    assert.ok(injected.chart >= 20, `faults were injected (${injected.chart} on charts)`);

    const label = new URL(upstream.url).host;
    await eventually(async () => {
      const series = await metricSeries(ballast.url, 'ballast_upstream_retries_total');
      const ours = series.filter((s) => s.labels.upstream === label);
      const byCause = (cause: string) =>
        ours.filter((s) => s.labels.cause === cause).reduce((sum, s) => sum + s.value, 0);
      const leader = byCause('etcd-leader-changed');
      const timedOut = byCause('etcd-request-timed-out');
      assert.ok(leader > 0 && timedOut > 0, `retries by cause: ${JSON.stringify(ours)}`);
      // Every injected fault was followed by exactly one retry of the same request.
      assert.equal(leader + timedOut, injected.total, `retries by cause: ${JSON.stringify(ours)}`);
    });
  });
});
