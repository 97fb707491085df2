import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChartManifest } from './manifest.ts';
import {
  dockerManifestMediaType,
  helmChartLayerMediaType,
  helmConfigMediaType,
  helmProvenanceLayerMediaType,
  legacyChartLayerMediaType,
  ociManifestMediaType,
} from './media-types.ts';
import { OciFormatError } from './oci-format-error.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const config = { mediaType: helmConfigMediaType, digest: digest('a'), size: 300 };
const chart = { mediaType: helmChartLayerMediaType, digest: digest('b'), size: 1200 };
const bytes = (value: unknown) => Buffer.from(JSON.stringify(value));
const rejects = (value: unknown, pattern: RegExp, contentType?: string) =>
  assert.throws(
    () =>
      parseChartManifest(
        typeof value === 'string' ? Buffer.from(value) : bytes(value),
        contentType,
      ),
    (error: unknown) => error instanceof OciFormatError && pattern.test(error.message),
  );

describe('parseChartManifest', () => {
  it('reads a manifest as helm push writes it (no mediaType field)', () => {
    const parsed = parseChartManifest(
      bytes({
        schemaVersion: 2,
        config,
        layers: [chart],
        annotations: { 'org.opencontainers.image.created': '2025-01-01T00:00:00Z' },
      }),
      `${ociManifestMediaType}; charset=utf-8`,
    );
    assert.equal(parsed.mediaType, ociManifestMediaType);
    assert.deepEqual(parsed.chart, chart);
    assert.deepEqual(parsed.config, config);
    assert.equal(parsed.provenance, undefined);
    assert.equal(parsed.annotations['org.opencontainers.image.created'], '2025-01-01T00:00:00Z');
  });

  it('takes the Docker media type, the legacy layer and a provenance layer', () => {
    const prov = { mediaType: helmProvenanceLayerMediaType, digest: digest('c'), size: 10 };
    const legacy = { ...chart, mediaType: legacyChartLayerMediaType };
    const parsed = parseChartManifest(
      bytes({
        schemaVersion: 2,
        mediaType: dockerManifestMediaType,
        config,
        layers: [prov, legacy],
      }),
    );
    assert.equal(parsed.mediaType, dockerManifestMediaType);
    assert.deepEqual(parsed.chart, legacy);
    assert.deepEqual(parsed.provenance, prov);
  });

  it('refuses what is not a chart manifest, saying why', () => {
    rejects('not json', /not JSON/);
    rejects([1], /not a JSON object/);
    rejects({ schemaVersion: 1, config, layers: [chart] }, /schemaVersion/);
    rejects(
      {
        schemaVersion: 2,
        config: { ...config, mediaType: 'application/vnd.oci.image.config.v1+json' },
        layers: [chart],
      },
      /not a Helm chart/,
    );
    rejects({ schemaVersion: 2, config, layers: [] }, /exactly one chart layer, found 0/);
    rejects({ schemaVersion: 2, config, layers: [chart, chart] }, /found 2/);
    rejects({ schemaVersion: 2, config, layers: 'x' }, /layers is not a list/);
    rejects(
      { schemaVersion: 2, config, layers: [{ ...chart, digest: `sha512:${'a'.repeat(128)}` }] },
      /not a sha256 digest/,
    );
    rejects({ schemaVersion: 2, config, layers: [{ ...chart, size: -1 }] }, /size/);
    rejects(
      {
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.index.v1+json',
        config,
        layers: [chart],
      },
      /not a single-artifact manifest/,
    );
    rejects(
      { schemaVersion: 2, config, layers: [chart] },
      /not a single-artifact manifest/,
      'application/vnd.oci.image.index.v1+json',
    );
    rejects({ schemaVersion: 2, config, layers: [chart], annotations: { a: 1 } }, /annotations\.a/);
  });
});
