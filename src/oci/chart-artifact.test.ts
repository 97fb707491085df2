import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { canonicalJson } from './canonical-json.ts';
import { buildChartArtifact } from './chart-artifact.ts';
import { sha256Digest } from './digest.ts';
import { parseChartManifest } from './manifest.ts';

const chartBytes = Buffer.from('pretend this is a chart archive');
const chart = { digest: sha256Digest(chartBytes), size: chartBytes.length };

describe('buildChartArtifact', () => {
  it('gives the same bytes and digest for the same chart, whatever the key order', () => {
    const a = buildChartArtifact({
      metadata: { name: 'demo', version: '1.0.0+b.1', apiVersion: 'v2', description: 'Demo' },
      chart,
    });
    const b = buildChartArtifact({
      metadata: { description: 'Demo', apiVersion: 'v2', version: '1.0.0+b.1', name: 'demo' },
      chart,
    });
    assert.deepEqual(a.manifest, b.manifest);
    assert.equal(a.manifestDigest, b.manifestDigest);
    assert.deepEqual(a.config, b.config);
    assert.equal(a.manifestDigest, sha256Digest(a.manifest));
    assert.equal(
      a.config.toString(),
      '{"apiVersion":"v2","description":"Demo","name":"demo","version":"1.0.0+b.1"}',
    );
  });

  it('lists a provenance file as a second layer, as helm push does for a signed chart', () => {
    const prov = Buffer.from('-----BEGIN PGP SIGNED MESSAGE-----');
    const provenance = { digest: sha256Digest(prov), size: prov.length };
    const metadata = { name: 'demo', version: '1.0.0' };
    const signed = buildChartArtifact({ metadata, chart, provenance });
    const parsed = parseChartManifest(signed.manifest);
    assert.equal(parsed.chart.digest, chart.digest);
    assert.deepEqual(parsed.provenance, {
      mediaType: 'application/vnd.cncf.helm.chart.provenance.v1.prov',
      ...provenance,
    });
    const unsigned = buildChartArtifact({ metadata, chart });
    assert.notEqual(signed.manifestDigest, unsigned.manifestDigest);
    assert.deepEqual(signed.config, unsigned.config, 'the config is the chart alone');
  });

  it('writes a Helm chart manifest with sorted keys, the chart as its one layer', () => {
    const artifact = buildChartArtifact({
      metadata: { name: 'demo', version: '1.0.0' },
      chart,
      created: '2024-05-01T10:00:00Z',
    });
    const text = artifact.manifest.toString();
    assert.equal(text, canonicalJson(JSON.parse(text)));
    const parsed = parseChartManifest(artifact.manifest);
    assert.equal(parsed.chart.digest, chart.digest);
    assert.equal(parsed.chart.size, chart.size);
    assert.equal(parsed.config.digest, artifact.configDescriptor.digest);
    assert.deepEqual(parsed.annotations, {
      'org.opencontainers.image.created': '2024-05-01T10:00:00Z',
      'org.opencontainers.image.title': 'demo',
      'org.opencontainers.image.version': '1.0.0',
    });
  });

  it('leaves out a created time that is not a time', () => {
    const artifact = buildChartArtifact({
      metadata: { name: 'd', version: '1.0.0' },
      chart,
      created: 'soon',
    });
    assert.doesNotMatch(artifact.manifest.toString(), /created/);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    assert.equal(
      canonicalJson({ b: [{ d: 1, c: 2 }], a: undefined, é: 'x', A: null }),
      '{"A":null,"b":[{"c":2,"d":1}],"é":"x"}',
    );
    assert.throws(() => canonicalJson(Number.NaN), TypeError);
  });
});
