import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { matches, resolveSelection, selectorsFor } from './sync-selection.ts';

const known = { repos: ['prom', 'bitnami'], files: ['helm'] };
const input = { repos: [], charts: [], files: [], all: false, provenance: false };

test('chart selectors: [repo/]name[@range]', () => {
  const selection = resolveSelection(
    { ...input, charts: ['kube-prometheus-stack@>=60', 'bitnami/nginx'] },
    known,
  );
  assert.deepEqual(selection.repos.sort(), ['bitnami', 'prom']);
  const [kps, nginx] = selection.charts;
  assert.equal(kps?.range, '>=60');
  assert.equal(nginx?.repo, 'bitnami');
  assert.ok(kps && matches(kps, 'kube-prometheus-stack', '61.2.0'));
  assert.ok(kps && !matches(kps, 'kube-prometheus-stack', '59.9.9'));
  assert.ok(kps && !matches(kps, 'kube-prometheus-stack', '61.0.0-rc.1'), 'no prereleases');
  assert.ok(nginx && matches(nginx, 'nginx', '0.0.1'));
  assert.deepEqual(
    selectorsFor(selection, 'prom').map((s) => s.text),
    ['kube-prometheus-stack@>=60'],
  );
});

test('--repo alone: every chart; selectors without a repo apply to the named repos only', () => {
  const selection = resolveSelection({ ...input, repos: ['prom'], charts: ['grafana'] }, known);
  assert.deepEqual(selection.repos, ['prom']);
  assert.equal(resolveSelection({ ...input, all: true }, known).repos.length, 2);
  const files = resolveSelection({ ...input, files: ['helm/v3/helm.tgz'] }, known);
  assert.deepEqual(files.files, [{ mirror: 'helm', path: 'v3/helm.tgz' }]);
});

test('mistakes are refused before anything is fetched', () => {
  for (const bad of [
    { repos: ['nope'] },
    { charts: ['x@not a range'] },
    { charts: ['/x'] },
    { files: ['helm'] },
    { files: ['other/x'] },
    {},
  ]) {
    assert.throws(
      () => resolveSelection({ ...input, ...bad }, known),
      (error) => isBallastError(error, 'BALLAST_SYNC_SELECTOR_INVALID'),
      JSON.stringify(bad),
    );
  }
});
