import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { StagesOutcome } from '../doctor/upstream/run-stages.ts';
import type { StageResult } from '../doctor/upstream/stage-result.ts';
import { parseUpstreamTarget } from '../doctor/upstream/upstream-target.ts';
import { createEventBus } from '../observability/events.ts';
import { createLogger } from '../observability/logger.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import type { ProbeTarget } from './probe-targets.ts';
import { createProber } from './prober.ts';

const failing: StageResult = {
  stage: 'http',
  status: 'fail',
  summary: '404',
  details: [],
  durationMs: 1,
  findings: [{ rule: 'upstream-http-status', severity: 'error', message: 'HTTP 404', fix: '' }],
};

test('one probe in flight per upstream, however slow it is; two failures make it down', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-prober-'));
  const store = await createFsStore({ root: dir });
  const bus = createEventBus();
  const changes: string[] = [];
  bus.on('probe:state-changed', (e) => changes.push(`${e.upstream} ${e.previous}→${e.state}`));
  const targets: ProbeTarget[] = ['https://a.example/', 'https://b.example/'].map((url, i) => ({
    subject: { kind: 'repo', name: 'stable' },
    position: i,
    url,
    target: parseUpstreamTarget(url, {}),
  }));
  const inFlight = new Map<string, number>();
  let most = 0;
  let runs = 0;
  const prober = createProber({
    targets,
    settings: {
      resolvers: { systemResolver: true, dnsServers: [], timeoutMs: 1 },
      timeoutMs: 1,
      maxBodyBytes: 1,
    },
    intervalMs: 5,
    store,
    bus,
    logger: createLogger({ level: 'silent' }),
    async run(target): Promise<StagesOutcome> {
      const now = (inFlight.get(target.url) ?? 0) + 1;
      inFlight.set(target.url, now);
      most = Math.max(most, now);
      runs++;
      // Far slower than the interval.
      await new Promise((resolve) => setTimeout(resolve, 40));
      inFlight.set(target.url, now - 1);
      return { stages: target.url.includes('b.') ? [failing] : [] };
    },
  });
  try {
    await prober.start();
    await new Promise((resolve) => setTimeout(resolve, 400));
    prober.stop();
    assert.ok(runs >= 6, `${runs} probes`);
    assert.equal(most, 1);
    assert.deepEqual(changes, ['https://b.example/ healthy→down']);
    const [a, b] = prober.upstreams();
    assert.equal(a?.record.status.state, 'healthy');
    assert.deepEqual(
      [b?.record.status.stage, b?.record.status.code],
      ['http', 'upstream-http-status'],
    );
  } finally {
    prober.stop();
    await new Promise((resolve) => setTimeout(resolve, 60));
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
