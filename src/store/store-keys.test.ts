import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Digest } from './store.ts';
import {
  type DocumentKindName,
  documentKindOf,
  documentKinds,
  storeKeyHelpers,
  storeKeys,
} from './store-keys.ts';

const chart: Digest = `sha256:${'c1'.repeat(32)}`;
const manifest: Digest = `sha256:${'4d'.repeat(32)}`;

/** One key built by each document builder (the type asks for one per kind). */
const built: Record<DocumentKindName, string> = {
  servedIndex: storeKeys.servedIndex('demo'),
  servedForm: storeKeys.servedForm('demo'),
  servedBody: storeKeys.servedBody('demo', chart, '.gz'),
  chartPins: storeKeys.chartPins('demo'),
  hostedCatalogue: storeKeys.hostedCatalogue('demo'),
  upstreamIndex: storeKeys.upstreamIndex('demo', 'https://charts.example/stable'),
  upstreamLease: storeKeys.upstreamLease('demo', 'https://charts.example/stable'),
  indexFreshness: storeKeys.indexFreshness('demo'),
  provenance: storeKeys.provenance('demo', chart),
  ociUpstreamManifest: storeKeys.ociUpstreamManifest(chart),
  ociBuiltManifest: storeKeys.ociBuiltManifest(chart),
  ociManifestChart: storeKeys.ociManifestChart(manifest),
  fileEntry: storeKeys.fileEntry('tools', 'linux/amd64/tool-1.0.tar.gz'),
  quarantine: storeKeys.quarantine(chart),
  probeRecord: storeKeys.probeRecord('file', 'helm', 1),
  uploadState: storeKeys.uploadState('0b7c2f6e-3d1a-4e8b-9f00-5a6b7c8d9e0f'),
  uploadChunk: storeKeys.uploadChunk('0b7c2f6e-3d1a-4e8b-9f00-5a6b7c8d9e0f', 4096, '00c0ffee'),
};

test('every member of storeKeys is a folder helper or a document kind that gc knows', () => {
  const described = [...storeKeyHelpers, ...Object.keys(documentKinds)].sort();
  assert.deepEqual(Object.keys(storeKeys).sort(), described);
  assert.deepEqual(Object.keys(built).sort(), Object.keys(documentKinds).sort());
});

test('each document kind recognises the keys its builder makes, and only those', () => {
  for (const [name, key] of Object.entries(built)) {
    assert.equal(documentKindOf(key), name, key);
    const others = Object.entries(documentKinds).filter(([other]) => other !== name);
    for (const [other, kind] of others) assert.ok(!kind.pattern.test(key), `${key} is no ${other}`);
  }
});

test('keys no builder makes are of no kind, so gc refuses rather than misreads them', () => {
  for (const key of [
    'hosted/charts',
    'repos/demo/index',
    'repos/demo/served/x',
    'repos/a/b/served',
    `oci/manifests/${'C1'.repeat(32)}`,
    `oci/manifests/${'c1'.repeat(31)}`,
    `quarantine/${'c1'.repeat(32)}/x`,
    `files/tools/entries/${'c1'.repeat(32)}.tmp`,
    'leases/repos/demo/short',
    'replicas/repos/demo/freshness/x',
  ])
    assert.equal(documentKindOf(key), undefined, key);
  assert.ok(storeKeys.isServedIndex(built.servedIndex));
  assert.ok(!storeKeys.isServedIndex(built.upstreamIndex));
});
