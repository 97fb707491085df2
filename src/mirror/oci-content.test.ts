import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { buildChartArchive } from '../../bench/chart-archive.ts';
import { sha256Digest } from '../oci/digest.ts';
import {
  helmChartLayerMediaType,
  helmConfigMediaType,
  helmProvenanceLayerMediaType,
  ociManifestMediaType,
} from '../oci/media-types.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Store } from '../store/store.ts';
import type { ChartRepo } from './chart-repo.ts';
import { createMirrorOciContent } from './oci-content.ts';
import type { ChartSource, ServedIndex } from './served-index.ts';

const signal = new AbortController().signal;

async function put(store: Store, bytes: Buffer) {
  return store.putBlob(Readable.from([bytes]), {
    expectedDigest: sha256Digest(bytes),
    maxBytes: bytes.length,
    what: 'test blob',
    source: 'test',
  });
}

/** A repo holding demo 1.0.0, pushed with a manifest of its own whose layers name `extra`. */
async function pushedChart(store: Store, extra: Buffer) {
  const chart = await put(
    store,
    buildChartArchive({ name: 'demo', version: '1.0.0', targetBytes: 3000 }),
  );
  const config = await put(store, Buffer.from('{"name":"demo","version":"1.0.0"}'));
  const prov = await put(store, extra);
  const descriptor = (mediaType: string, blob: { digest: string; size: number }) => ({
    mediaType,
    digest: blob.digest,
    size: blob.size,
  });
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: ociManifestMediaType,
      config: descriptor(helmConfigMediaType, config),
      layers: [
        descriptor(helmChartLayerMediaType, chart),
        descriptor(helmProvenanceLayerMediaType, prov),
      ],
    }),
  );
  const file = 'demo-1.0.0.tgz';
  const source = { url: `charts/${file}`, digest: chart.digest, upstream: 0, name: 'demo' };
  const repo = {
    name: 'team',
    index: async () => ({
      index: {
        charts: new Map([[file, { ...source, version: '1.0.0' }]]),
      } as unknown as ServedIndex,
      checkedAt: 0,
    }),
    chart: async () => chart,
    upstreamManifest: async () => manifest,
  } as unknown as ChartRepo;
  return { repo, chart, config, prov };
}

describe('the OCI face of a repository', () => {
  test('serves the provenance layer a pushed manifest names (helm pull --verify fetches it)', async () => {
    const store = createMemoryStore();
    const { repo, config, prov } = await pushedChart(store, Buffer.from('signed text'));
    const oci = createMirrorOciContent(new Map([['team', repo]]), store);
    assert.equal((await oci.blob('team', 'demo', prov.digest, signal))?.digest, prov.digest);
    assert.equal((await oci.blob('team', 'demo', config.digest, signal))?.digest, config.digest);
  });

  test('a stored blob that no manifest of the chart names is not served through it', async () => {
    const store = createMemoryStore();
    const { repo } = await pushedChart(store, Buffer.from('signed text'));
    const elsewhere = await put(store, Buffer.from('some other repository blob'));
    const oci = createMirrorOciContent(new Map([['team', repo]]), store);
    assert.equal(await oci.blob('team', 'demo', elsewhere.digest, signal), undefined);
    assert.equal(await oci.blob('team', 'other', elsewhere.digest, signal), undefined);
  });

  test('a chart without a manifest of its own: the built one lists its provenance file once it has one', async () => {
    const store = createMemoryStore();
    const chart = await put(
      store,
      buildChartArchive({ name: 'demo', version: '1.0.0', targetBytes: 3000 }),
    );
    const prov = await put(store, Buffer.from('signed text'));
    const file = 'demo-1.0.0.tgz';
    let source: ChartSource = {
      url: `charts/${file}`,
      digest: chart.digest,
      upstream: 0,
      name: 'demo',
      version: '1.0.0',
    };
    const repo = {
      name: 'team',
      index: async () => ({
        index: { charts: new Map([[file, source]]) } as unknown as ServedIndex,
        checkedAt: 0,
      }),
      chart: async () => chart,
      upstreamManifest: async () => undefined,
    } as unknown as ChartRepo;
    const oci = createMirrorOciContent(new Map([['team', repo]]), store);
    const layers = async () => {
      const served = await oci.manifest('team', 'demo', '1.0.0', signal);
      assert.ok(served);
      return (JSON.parse(served.bytes.toString()) as { layers: { digest: string }[] }).layers.map(
        (l) => l.digest,
      );
    };
    assert.deepEqual(await layers(), [chart.digest]);
    assert.equal(await oci.blob('team', 'demo', prov.digest, signal), undefined, 'not named yet');

    source = { ...source, provenance: prov.digest };
    assert.deepEqual(await layers(), [chart.digest, prov.digest]);
    assert.equal((await oci.blob('team', 'demo', prov.digest, signal))?.digest, prov.digest);
  });
});
