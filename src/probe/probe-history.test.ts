import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  appendObservation,
  type HistoryRun,
  historyLimits,
  historyStrip,
} from './probe-history.ts';

const minute = 60_000;

test('probes that see the same thing extend one run; a day of flapping stays bounded', () => {
  let runs: HistoryRun[] = [];
  for (let i = 0; i < 10; i++)
    runs = appendObservation(runs, { at: i * minute, health: 'healthy' });
  assert.deepEqual(runs, [{ health: 'healthy', from: 0, to: 9 * minute }]);
  for (let i = 0; i < 3 * 1440; i++)
    runs = appendObservation(runs, {
      at: (10 + i) * minute,
      health: i % 2 ? 'healthy' : 'down',
      ...(i % 2 ? {} : { stage: 'dns', code: 'upstream-dns-failed' }),
    });
  assert.ok(runs.length <= historyLimits.maxRuns);
  const last = runs.at(-1) as HistoryRun;
  assert.ok(
    (runs[0] as HistoryRun).to >= last.to - historyLimits.spanMs,
    'nothing older than a day',
  );
});

test('the strip shows the worst state of each slice, and nothing where no probe ran', () => {
  const now = historyLimits.spanMs;
  const runs: HistoryRun[] = [
    { health: 'healthy', from: now - 2 * 3_600_000, to: now },
    {
      health: 'down',
      from: now - 30 * minute,
      to: now - 29 * minute,
      code: 'upstream-http-status',
    },
  ];
  const strip = historyStrip(runs, now, 24);
  assert.equal(strip.length, 24);
  assert.deepEqual(strip.slice(0, 21), new Array(21).fill(null));
  assert.deepEqual(strip.slice(22), ['healthy', 'down']);
});
