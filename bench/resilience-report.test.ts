import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  formatResilienceReport,
  percentileOf,
  type ResilienceReport,
} from './resilience-report.ts';

test('percentileOf takes the nearest rank', () => {
  const values = Array.from({ length: 100 }, (_, i) => 100 - i);
  assert.equal(percentileOf(values, 50), 50);
  assert.equal(percentileOf(values, 99), 99);
  assert.equal(percentileOf(values, 100), 100);
  assert.equal(percentileOf([7], 99), 7);
  assert.ok(Number.isNaN(percentileOf([], 50)));
});

test('the report judges the p99 ratio and the cold-fetch target', () => {
  const round = (p99Ms: number) => ({ requestsPerSec: 1000, p50Ms: 1, p99Ms, maxMs: p99Ms * 2 });
  const report: ResilienceReport = {
    startedAt: '2026-01-01T00:00:00Z',
    machine: { cores: 2, cpuModel: 'test', node: 'v24', wrk: 'wrk 4' },
    options: { durationSec: 5, rounds: 1, connections: 4, coldCharts: 3 },
    repo: { versions: 1000, indexBytes: 300_000 },
    index: [
      { upstreams: 'healthy', rounds: [round(2)], servedAs: ['fresh'] },
      {
        upstreams: 'down',
        rounds: [round(3)],
        servedAs: ['stale (BALLAST_UPSTREAM_UNREACHABLE)'],
      },
      { upstreams: 'blackholed', rounds: [round(5)], servedAs: ['fresh'] },
    ],
    coldChart: [
      { firstUpstream: 'blackholed', ms: [600, 610, 620], failures: 0 },
      { firstUpstream: 'down', ms: [2000], failures: 0 },
    ],
  };
  const text = formatResilienceReport(report);
  assert.match(
    text,
    /\| down \| 1000 \| 1\.00 \| 3\.00 \| 6\.0 \| 1\.50 \(≤ 2: met\) \| stale \(BALLAST_UPSTREAM_UNREACHABLE\) \|/,
  );
  assert.match(text, /\| blackholed \| .* \| 2\.50 \(≤ 2: \*\*missed\*\*\) \| fresh \|/);
  assert.match(text, /\| blackholed \| 610 \| 620 \| 620 \| 0 \| met \|/);
  assert.match(text, /\| down \| 2000 \| 2000 \| 2000 \| 0 \| \(no target\) \|/);
});
