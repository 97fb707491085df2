import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  demoChart,
  fakeUpstream,
  mirrorWorld,
  settled,
  sha256Hex,
  until,
} from '../../test/support/mirror-world.ts';

// Charts pulled through in one process (test/support/mirror-world.ts): from the upstream
// whose index listed them, then from another that lists the same digest.

const primary = 'https://primary.example.test/charts';
const secondary = 'https://secondary.example.test/charts';

function world(extra: Record<string, unknown> = {}) {
  return mirrorWorld({
    name: 'stable',
    upstreams: [{ url: primary }, { url: secondary }],
    ...extra,
  });
}

test('a chart comes from another upstream listing its digest when its own fails, then from the store', async () => {
  const w = world();
  const a = fakeUpstream(w.store, primary, { versions: 2, etag: '"a1"' });
  const b = fakeUpstream(w.store, secondary, { versions: 2, etag: '"b1"' });
  const mirror = w.mirror([a, b]);
  await mirror.load();
  a.chartsFail = true;

  const blob = await mirror.chart('demo-1.0.1.tgz');
  assert.equal(blob.digest, `sha256:${sha256Hex(demoChart(1))}`);
  assert.deepEqual(a.charts, [`${primary}/charts/demo-1.0.1.tgz`]);
  assert.deepEqual(b.charts, [`${secondary}/charts/demo-1.0.1.tgz`], 'its own URL for the file');

  const again = await mirror.chart('demo-1.0.1.tgz');
  assert.deepEqual(again, blob);
  assert.equal(a.charts.length + b.charts.length, 2, 'served from the store, no upstream asked');
});

test('a chart no upstream delivers fails with the cause, and nothing is stored', async () => {
  const w = world();
  const a = fakeUpstream(w.store, primary, { versions: 1, etag: '"a1"' });
  const b = fakeUpstream(w.store, secondary, { versions: 1, etag: '"b1"' });
  a.chartsFail = true;
  b.chartsFail = true;
  const mirror = w.mirror([a, b]);
  await mirror.load();
  await assert.rejects(mirror.chart('demo-1.0.0.tgz'), { code: 'BALLAST_UPSTREAM_UNREACHABLE' });
  assert.equal(await w.store.statBlob(`sha256:${sha256Hex(demoChart(0))}`), undefined);
});

test('unknown and unsafe file names are refused without asking an upstream', async () => {
  const w = world();
  const a = fakeUpstream(w.store, primary, { versions: 1, etag: '"a1"' });
  const mirror = w.mirror([a, fakeUpstream(w.store, secondary, 'fail')]);
  await mirror.load();
  await assert.rejects(mirror.chart('demo-9.9.9.tgz'), { code: 'BALLAST_CHART_NOT_FOUND' });
  await assert.rejects(mirror.chart('../demo-1.0.0.tgz'), { code: 'BALLAST_BAD_PATH' });
  await assert.rejects(mirror.provenance('demo-9.9.9.tgz.prov'), {
    code: 'BALLAST_CHART_NOT_FOUND',
  });
  assert.deepEqual(a.charts, []);
});

test('unverified: pin: a digest-less chart is pinned on first fetch and the index then carries it', async () => {
  const w = world({ unverified: 'pin' });
  const a = fakeUpstream(w.store, primary, { versions: 2, etag: '"a1"', digestless: true });
  const mirror = w.mirror([a, fakeUpstream(w.store, secondary, 'fail')]);
  await mirror.load();
  const before = await mirror.index();
  assert.equal(before.index.charts.get('demo-1.0.0.tgz')?.digest, undefined);
  let swaps = 0;
  w.bus.on('index:updated', () => swaps++);

  const blob = await mirror.chart('demo-1.0.0.tgz');
  assert.equal(blob.digest, `sha256:${sha256Hex(demoChart(0))}`);
  assert.equal(mirror.status().pinned, 1);
  await until(() => swaps === 1, 'the index rebuilt with the pin');
  const after = await mirror.index();
  assert.equal(after.index.charts.get('demo-1.0.0.tgz')?.digest, blob.digest);
  assert.equal(after.index.charts.get('demo-1.0.1.tgz')?.digest, undefined, 'not fetched yet');
  assert.equal(a.asked.length, 1, 'the pin is served from the stored upstream copy');

  // A restart serves the pin from the store (once the rebuilt index is written there).
  await settled();
  const restarted = w.mirror([
    fakeUpstream(w.store, primary, 'fail'),
    fakeUpstream(w.store, secondary, 'fail'),
  ]);
  await restarted.load();
  assert.equal((await restarted.index()).index.charts.get('demo-1.0.0.tgz')?.digest, blob.digest);
});
