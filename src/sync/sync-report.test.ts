import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SyncResult } from './run-sync.ts';
import {
  createProgressBar,
  formatBytes,
  renderProgressLine,
  renderSyncSummary,
} from './sync-report.ts';

test('the progress line fits the terminal and shows failures', () => {
  const line = renderProgressLine(
    { done: 5, total: 10, failed: 1, current: 'demo/app-1.0.0.tgz' },
    80,
  );
  assert.equal(line, '[############............] 5/10, 1 failed demo/app-1.0.0.tgz');
  const narrow = renderProgressLine({ done: 1, total: 2, failed: 0, current: 'x'.repeat(100) }, 50);
  assert.ok(narrow.length <= 50, narrow);
});

test('the bar redraws in place, at most every interval, and always at the end', () => {
  const written: string[] = [];
  let now = 0;
  const bar = createProgressBar(
    { write: (t: string) => written.push(t), columns: 80 },
    {
      intervalMs: 100,
      now: () => now,
    },
  );
  bar.update({ done: 0, total: 3, failed: 0 });
  now = 10;
  bar.update({ done: 1, total: 3, failed: 0 });
  now = 20;
  bar.update({ done: 3, total: 3, failed: 0 });
  bar.done();
  assert.equal(written.length, 3);
  assert.ok(written.every((t) => t.startsWith('\r\x1b[2K')));
  assert.match(written[1] as string, /3\/3/);
});

test('the summary names every failure', () => {
  const result: SyncResult = {
    ok: false,
    interrupted: false,
    durationMs: 1500,
    counts: { fetched: 2, cached: 1, absent: 0, stale: 0, failed: 1 },
    bytesFetched: 3 * 1024 * 1024,
    items: [
      { kind: 'chart', source: 'demo', name: 'a-1.tgz', status: 'fetched' },
      {
        kind: 'file',
        source: 'helm',
        name: 'x.tgz',
        status: 'failed',
        error: { code: 'BALLAST_DIGEST_MISMATCH', message: 'bad' },
      },
    ],
  };
  const text = renderSyncSummary(result);
  assert.match(
    text,
    /sync done: 2 items, 2 fetched, 1 already in the store, 1 failed; 3\.0 MiB fetched in 1\.5 s/,
  );
  assert.match(text, /FAILED file helm\/x\.tgz: BALLAST_DIGEST_MISMATCH: bad/);
  assert.equal(formatBytes(512), '512 B');
});
