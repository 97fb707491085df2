import assert from 'node:assert/strict';
import { test } from 'node:test';
import { summariseProfile } from './cpu-profile-summary.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({
  functionName,
  url,
  lineNumber,
});

test('sums self time by function and by origin, leaving idle out', () => {
  const profile = {
    nodes: [
      { id: 1, callFrame: frame('(idle)') },
      { id: 2, callFrame: frame('writev') },
      {
        id: 3,
        callFrame: frame('handler', 'file:///work/main/src/server/routes/helm-routes.ts', 30),
      },
      { id: 4, callFrame: frame('route', 'file:///x/node_modules/fastify/lib/route.js', 9) },
      { id: 5, callFrame: frame('emit', 'node:events', 1) },
    ],
    samples: [1, 2, 2, 3, 4, 5],
    timeDeltas: [5000, 3000, 3000, 2000, 1000, 1000],
  };
  const summary = summariseProfile(profile);
  assert.equal(summary.busyMs, 10);
  assert.deepEqual(
    summary.byOrigin.map(({ name, ms }) => [name, ms]),
    [
      ['(native)', 6],
      ['ballast src/server', 2],
      ['npm fastify', 1],
      ['node internals', 1],
    ],
  );
  assert.equal(summary.hottest[0]?.name, 'writev');
  assert.equal(summary.hottest[0]?.share, 0.6);
  assert.equal(summary.hottest[1]?.name, 'handler src/server/routes/helm-routes.ts:31');
});
