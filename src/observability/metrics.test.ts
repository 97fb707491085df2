import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEventBus } from './events.ts';
import { createMetrics } from './metrics.ts';

// Labels must be bounded by the configuration (repos, upstreams, hosts) and by fixed
// vocabularies: one series per chart path would take down the Prometheus that scrapes them.
const boundedLabels = new Set([
  'route',
  'method',
  'status',
  'repo',
  'mirror',
  'upstream',
  'kind',
  'result',
  'outcome',
  'cause',
  'reason',
  'code',
  'to',
  'index',
  'hostname',
]);

test('no metric carries a chart or file path, whatever the events name', async () => {
  const bus = createEventBus();
  const registry = createMetrics(bus, () => [
    { name: 'demo', status: () => ({ versions: 3, checkedAt: 1 }) },
  ]);
  for (let i = 0; i < 50; i++) {
    const file = `unique-chart-${i}-1.0.0.tgz`;
    bus.emit('hedge:fired', {
      repo: 'demo',
      kind: 'chart',
      label: `demo/charts/${file}`,
      index: 1,
      reason: 'delay',
    });
    bus.emit('hedge:won', {
      repo: 'demo',
      kind: 'chart',
      label: `demo/charts/${file}`,
      index: 1,
      started: 2,
    });
    bus.emit('chart:rejected', {
      repo: 'demo',
      file,
      code: 'BALLAST_DIGEST_MISMATCH',
      message: file,
    });
    bus.emit('chart:stored', { repo: 'demo', file, digest: 'sha256:x', bytes: 1 });
    bus.emit('file:rejected', {
      mirror: 'helm',
      path: file,
      upstream: 'https://get.helm.sh/',
      code: 'X',
      message: file,
    });
    bus.emit('file:stored', {
      mirror: 'helm',
      path: file,
      digest: 'sha256:x',
      bytes: 1,
      upstream: 'u',
    });
    bus.emit('index:entry-skipped', { repo: 'demo', chart: file, version: '1', reason: file });
  }
  const text = await registry.metrics();
  assert.doesNotMatch(text, /unique-chart/);
  assert.match(text, /ballast_hedges_fired_total\{repo="demo",kind="chart"\} 50/);
  for (const metric of await registry.getMetricsAsJSON()) {
    if (!metric.name.startsWith('ballast_') || metric.name.startsWith('ballast_nodejs')) continue;
    for (const value of metric.values) {
      for (const label of Object.keys(value.labels)) {
        assert.ok(boundedLabels.has(label) || label === 'le', `${metric.name} has label ${label}`);
      }
    }
  }
});
