import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { startBallastProcess } from './support/ballast.ts';
import { type FaultPlan, startFaultUpstream } from './support/fault-upstream.ts';
import { writeRandomChartRepo } from './support/random-chart-repo.ts';
import { auditStoreBlobs, helmStyleGet, sha256Hex } from './support/resilience-e2e.ts';
import { tempDir } from './support/temp-dir.ts';

// A chart is fetched from the upstream whose index listed it, then from the others whose
// index lists the same digest. These pin that failover down, fault by fault; the chaos run
// found the case where the second upstream's index itself has a transient fault.

async function setUp(
  t: TestContext,
  firstPlan: FaultPlan,
  secondPlan?: FaultPlan,
  resilience: Record<string, unknown> = {},
) {
  const work = await tempDir('chart-failover', t);
  const repo = await writeRandomChartRepo(join(work, 'repo'), {
    names: 2,
    versions: 2,
    minBytes: 2048,
    maxBytes: 8192,
    seed: 'chart-failover',
  });
  const first = await startFaultUpstream({ root: repo.dir, plan: firstPlan });
  t.after(() => first.stop());
  const second = await startFaultUpstream({
    root: repo.dir,
    ...(secondPlan ? { plan: secondPlan } : {}),
  });
  t.after(() => second.stop());
  const ballast = await startBallastProcess({
    resilience,
    repos: [{ name: 'demo', upstreams: [{ url: first.url }, { url: second.url }], refresh: '1h' }],
  });
  t.after(() => ballast.stop());
  const index = await helmStyleGet(`${ballast.url}/demo/index.yaml`);
  assert.equal(index.status, 200);
  const chart = repo.charts[0] as (typeof repo.charts)[number];
  return { first, second, ballast, chart };
}

describe('a chart the first upstream cannot deliver comes from the second', () => {
  const cases: { name: string; fault: FaultPlan }[] = [
    {
      name: 'corrupted bytes',
      fault: ({ path }) => (path.endsWith('.tgz') ? { corrupt: true } : undefined),
    },
    { name: '404', fault: ({ path }) => (path.endsWith('.tgz') ? { status: 404 } : undefined) },
    {
      name: 'a reset every time',
      fault: ({ path }) => (path.endsWith('.tgz') ? { reset: true } : undefined),
    },
  ];
  for (const { name, fault } of cases) {
    test(`${name} from the first upstream`, async (t) => {
      const { second, ballast, chart } = await setUp(t, fault);
      const response = await helmStyleGet(`${ballast.url}/demo/charts/${chart.file}`);
      assert.equal(response.status, 200, response.error ?? response.body.toString());
      assert.equal(sha256Hex(response.body), chart.digest);
      assert.ok(second.requests.some((r) => r.path === `/${chart.file}`));
      assert.deepEqual((await auditStoreBlobs(ballast.dataDir)).bad, []);
    });
  }

  test('corrupted bytes from the first, and the second index fails once (transient)', async (t) => {
    let armed = false;
    let indexRequests = 0;
    let resets = 0;
    const { second, ballast, chart } = await setUp(
      t,
      ({ path }) => (path.endsWith('.tgz') ? { corrupt: true } : undefined),
      // Once the chart is asked for, the first request for the second upstream's index resets.
      ({ path }) => {
        if (!armed || path !== '/index.yaml' || indexRequests++ > 0) return undefined;
        resets += 1;
        return { reset: true };
      },
      // No hedging: the second upstream is left alone until the first has failed for good, so
      // its index is first fetched for this chart (else a hedged warm-up could fetch it early).
      { hedge: { enabled: false } },
    );
    assert.ok(!second.requests.some((r) => r.path === '/index.yaml'), 'second index not known yet');
    armed = true;
    const response = await helmStyleGet(`${ballast.url}/demo/charts/${chart.file}`);
    assert.equal(
      response.status,
      200,
      `one reset of the second upstream's index must be retried like any transient fault: ${response.error ?? response.body.toString()}`,
    );
    assert.equal(resets, 1, 'the reset was injected');
    assert.equal(sha256Hex(response.body), chart.digest);
    assert.ok(second.requests.some((r) => r.path === `/${chart.file}`));
  });
});
