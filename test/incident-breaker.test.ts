import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, type TestContext, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBallastProcess } from './support/ballast.ts';
import { type FaultUpstream, startFaultUpstream } from './support/fault-upstream.ts';
import { metricValue } from './support/http.ts';
import { type RandomChartRepo, writeRandomChartRepo } from './support/random-chart-repo.ts';
import { helmStyleGet, percentile, sha256Hex } from './support/resilience-e2e.ts';
import { tempDir } from './support/temp-dir.ts';

// An upstream that fails every request must have its breaker opened, be skipped without
// waiting while it is open, and be probed and closed again once it recovers: all of it
// visible in /metrics.

const coolDownMs = 2_000;
const failing = () => ({ status: 503, body: 'service unavailable' });

async function setUp(t: TestContext, resilience: Record<string, unknown>) {
  const work = await tempDir('breaker', t);
  const repo = await writeRandomChartRepo(join(work, 'repo'), {
    names: 5,
    versions: 10,
    minBytes: 1024,
    maxBytes: 4096,
    seed: 'breaker',
  });
  const first = await startFaultUpstream({ root: repo.dir });
  t.after(() => first.stop());
  const second = await startFaultUpstream({ root: repo.dir });
  t.after(() => second.stop());
  const ballast = await startBallastProcess({
    resilience,
    // No revalidation during the test: only the chart fetches below talk to the upstreams.
    repos: [{ name: 'demo', upstreams: [{ url: first.url }, { url: second.url }], refresh: '1h' }],
  });
  t.after(() => ballast.stop());
  // Warm: the index comes from the first upstream, so every chart is listed by it.
  const index = await helmStyleGet(`${ballast.url}/demo/index.yaml`);
  assert.equal(index.status, 200);
  assert.ok(!first.requests.some((r) => r.outcome !== 'ok'));
  const key = new URL(first.url).host;
  const state = () => metricValue(ballast.url, 'ballast_breaker_state', { upstream: key });
  const transitions = (to: string) =>
    metricValue(ballast.url, 'ballast_breaker_transitions_total', { upstream: key, to });
  let next = 0;
  /** A chart not fetched before, through Ballast; must succeed with the right bytes. */
  const coldFetch = async () => {
    const chart = repo.charts[next++] as RandomChartRepo['charts'][number];
    const response = await helmStyleGet(`${ballast.url}/demo/charts/${chart.file}`);
    assert.equal(response.status, 200, `${chart.file}: ${response.error ?? response.body}`);
    assert.equal(sha256Hex(response.body), chart.digest);
    return response.ms;
  };
  return { first, second, ballast, state, transitions, coldFetch };
}

/** Fetches cold charts while the first upstream fails, until its breaker opens (bounded). */
async function failUntilOpen(
  first: FaultUpstream,
  state: () => Promise<number>,
  coldFetch: () => Promise<number>,
  limit: number,
) {
  first.setPlan(failing);
  const failingMs: number[] = [];
  for (let i = 0; i < limit && (await state()) !== 2; i++) failingMs.push(await coldFetch());
  return failingMs;
}

describe('circuit breaker per upstream host', () => {
  test('opens after repeated failures, skips the host while open, closes after a probe', async (t) => {
    const { first, state, transitions, coldFetch } = await setUp(t, {
      breaker: { failureThreshold: 3, coolDown: `${coolDownMs}ms` },
      retry: { maxAttempts: 2, baseDelay: '20ms', maxDelay: '50ms' },
    });
    assert.equal(await state(), 0, 'closed while healthy');

    const failingMs = await failUntilOpen(first, state, coldFetch, 10);
    const openedAt = performance.now();
    assert.equal(await state(), 2, `open after ${failingMs.length} failing fetches`);
    assert.ok((await transitions('open')) >= 1, 'the opening is counted');

    // While open the host is skipped: no request reaches it, and nobody waits for it.
    const seen = first.requests.length;
    const openMs: number[] = [];
    for (let i = 0; i < 5; i++) openMs.push(await coldFetch());
    assert.ok(performance.now() - openedAt < coolDownMs, 'measured within the cool-down');
    assert.equal(first.requests.length, seen, 'the open breaker kept requests off the host');
    t.diagnostic(
      `fetch while failing: p50 ${percentile(failingMs, 50).toFixed(0)} ms; while open: p50 ${percentile(openMs, 50).toFixed(0)} ms, max ${Math.max(...openMs).toFixed(0)} ms`,
    );
    // Well under the 500 ms a hedge would wait before asking the second upstream.
    assert.ok(Math.max(...openMs) < 400, 'skipping costs no wait');

    // Recovery: after the cool-down one probe goes through, succeeds, and closes it.
    first.setPlan(undefined);
    await sleep(coolDownMs + 100 - (performance.now() - openedAt));
    // Bounded: 30 fetches, 200 ms apart.
    for (let i = 0; i < 30 && (await state()) !== 0; i++) {
      await coldFetch();
      if ((await state()) !== 0) await sleep(200);
    }
    assert.equal(await state(), 0, 'closed again after the probe');
    assert.ok(first.requests.length > seen, 'the host was probed');
    assert.ok((await transitions('half-open')) >= 1, 'half-open is counted');
    assert.ok((await transitions('closed')) >= 1, 'the recovery is counted');
  });

  test('with default retries and hedging, a host failing every request still opens its breaker', async (t) => {
    const { first, state, coldFetch } = await setUp(t, {
      breaker: { failureThreshold: 3, coolDown: '30s' },
    });
    const failingMs = await failUntilOpen(first, state, coldFetch, 12);
    t.diagnostic(
      `${failingMs.length} cold fetches while failing: ${failingMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    );
    assert.equal(
      await state(),
      2,
      `still not open after ${failingMs.length} fetches that each met the failing host`,
    );
    const seen = first.requests.length;
    const openMs = [await coldFetch(), await coldFetch()];
    assert.equal(first.requests.length, seen, 'skipped while open');
    assert.ok(Math.max(...openMs) < 400, `no hedge delay paid while open: ${openMs}`);
  });
});
