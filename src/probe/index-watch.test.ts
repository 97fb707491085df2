import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../observability/logger.ts';
import { createIndexWatch, type WatchedRepo } from './index-watch.ts';

const minute = 60_000;

function fakeRepo(name: string, checkedAt: number, outcome: 'ok' | 'fail' = 'ok') {
  const calls = { refreshes: 0 };
  const repo: WatchedRepo & { calls: typeof calls } = {
    name,
    calls,
    status: () => ({ ready: true, loading: false, checkedAt }),
    async refresh() {
      calls.refreshes++;
      if (outcome === 'fail') throw new Error('connection refused');
    },
  };
  return repo;
}

test('revalidates only indexes older than their refresh, failures included, nobody asking', async () => {
  const now = 100 * minute;
  const fresh = fakeRepo('fresh', now - minute);
  const old = fakeRepo('old', now - 10 * minute);
  const failing = fakeRepo('failing', now - 90 * minute, 'fail');
  const notReady: WatchedRepo = {
    name: 'not-ready',
    status: () => ({ ready: false, loading: false, checkedAt: 0 }),
    refresh: () => Promise.reject(new Error('must not be called')),
  };
  const watch = createIndexWatch({
    repos: [fresh, old, failing, notReady].map((repo) => ({ repo, refreshMs: 5 * minute })),
    intervalMs: minute,
    logger: createLogger({ level: 'silent' }),
    now: () => now,
  });
  await watch.tick();
  assert.deepEqual(
    [fresh, old, failing].map((r) => r.calls.refreshes),
    [0, 1, 1],
  );
  watch.stop();
});

test('a hundred due repositories are revalidated a few at a time', async () => {
  let inFlight = 0;
  let most = 0;
  const repos = Array.from({ length: 100 }, (_, i) => ({
    refreshMs: minute,
    repo: {
      name: `r${i}`,
      status: () => ({ ready: true, loading: false, checkedAt: 0 }),
      async refresh() {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise((resolve) => setTimeout(resolve, 1));
        inFlight--;
      },
    },
  }));
  const watch = createIndexWatch({
    repos,
    intervalMs: minute,
    logger: createLogger({ level: 'silent' }),
    now: () => 10 * minute,
  });
  await watch.tick();
  assert.ok(most > 1 && most <= 4, `${most} at once`);
  watch.stop();
});
