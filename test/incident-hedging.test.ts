import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { startFaultUpstream } from './support/fault-upstream.ts';
import { metricValue } from './support/http.ts';
import { writeRandomChartRepo } from './support/random-chart-repo.ts';
import { helmStyleGet, percentile, sha256Hex } from './support/resilience-e2e.ts';
import { tempDir } from './support/temp-dir.ts';

// The first upstream is slow on some of its chart files (a cold CDN edge, a busy mirror), the
// second is fast. With hedging Ballast asks the second when the first is slower than its
// recent p95; the tail a client sees must shrink clearly.

const fetches = 40;
const slowMs = 2_000;

test('hedging cuts the p99 of cold chart fetches when the first upstream is slow', async (t) => {
  const work = await tempDir('hedging', t);
  const repo = await writeRandomChartRepo(join(work, 'repo'), {
    names: 10,
    versions: 4,
    minBytes: 4 * 1024,
    maxBytes: 16 * 1024,
    seed: 'hedging',
  });
  const charts = repo.charts.slice(0, fetches);
  // Every fifth chart is slow on the first upstream: 20% of the fetches, the same each run.
  const slow = new Set(charts.filter((_, i) => i % 5 === 2).map((c) => `/${c.file}`));
  const first = await startFaultUpstream({
    root: repo.dir,
    plan: ({ path }) => (slow.has(path) ? { delayMs: slowMs } : undefined),
  });
  t.after(() => first.stop());
  const second = await startFaultUpstream({ root: repo.dir });
  t.after(() => second.stop());

  async function run(hedge: boolean): Promise<{ ms: number[]; ballast: BallastProcess }> {
    const ballast = await startBallastProcess({
      // A ceiling well under the slow files' delay keeps the margin clear on a busy machine.
      resilience: { hedge: { enabled: hedge, ceiling: '400ms' } },
      repos: [
        { name: 'demo', upstreams: [{ url: first.url }, { url: second.url }], refresh: '1h' },
      ],
    });
    t.after(() => ballast.stop());
    const index = await helmStyleGet(`${ballast.url}/demo/index.yaml`);
    assert.equal(index.status, 200);
    const ms: number[] = [];
    for (const chart of charts) {
      const response = await helmStyleGet(`${ballast.url}/demo/charts/${chart.file}`);
      assert.equal(response.status, 200, `${chart.file}: ${response.error ?? response.body}`);
      assert.equal(sha256Hex(response.body), chart.digest);
      ms.push(response.ms);
    }
    return { ms, ballast };
  }

  const without = await run(false);
  const withHedging = await run(true);
  const summary = (ms: number[]) =>
    `p50 ${percentile(ms, 50).toFixed(0)} ms, p95 ${percentile(ms, 95).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms`;
  t.diagnostic(
    `${fetches} cold chart fetches, ${slow.size} slow (${slowMs} ms) on the first upstream`,
  );
  t.diagnostic(`hedge.enabled false: ${summary(without.ms)}`);
  t.diagnostic(`hedge.enabled true:  ${summary(withHedging.ms)}`);

  const fired = await metricValue(withHedging.ballast.url, 'ballast_hedges_fired_total');
  const wonBySecond = await metricValue(withHedging.ballast.url, 'ballast_hedges_won_total', {
    index: '1',
  });
  t.diagnostic(`hedges fired ${fired}, won by the second upstream ${wonBySecond}`);
  assert.ok(percentile(without.ms, 99) >= slowMs, 'without hedging the slow files are felt');
  assert.ok(
    percentile(withHedging.ms, 99) < 0.6 * percentile(without.ms, 99),
    'hedging cuts the p99 clearly',
  );
  assert.ok(fired >= slow.size && wonBySecond >= slow.size, 'the slow fetches were hedged');
  assert.equal(await metricValue(without.ballast.url, 'ballast_hedges_fired_total'), 0);
});
