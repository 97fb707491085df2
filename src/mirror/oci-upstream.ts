import { createHash } from 'node:crypto';
import { BallastError } from '../errors/ballast-error.ts';
import { parseOciChartUrl } from '../oci/oci-reference.ts';
import { tagToVersion } from '../oci/tag-version.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { pullChartVersion, storeProvenance } from '../upstream/oci-chart-pull.ts';
import type { OciRegistryClient } from '../upstream/oci-registry-client.ts';
import type { MirrorUpstream } from './mirror-upstream.ts';
import { buildOciIndex, type OciIndexBuild } from './oci-index.ts';

/**
 * An OCI registry as a mirror upstream. Its index is synthesised from the tags of the
 * configured charts; the JSON's hash stands in for an ETag, so an unchanged registry is
 * "not modified" like a classic repository. A chart is pulled with its manifest, verified
 * against the digest the served index gave, and the manifest is kept byte for byte.
 */
export function createOciUpstream(
  client: OciRegistryClient,
  charts: readonly string[],
  store: Store,
  limits: { maxProvenanceBytes: number },
): MirrorUpstream {
  let previous: OciIndexBuild | undefined;
  const { registry, namespace } = client.location;
  /** The chart and tag of an index entry's `oci://` URL, which must point into this upstream. */
  const locate = (url: string) => {
    const reference = parseOciChartUrl(url);
    const inNamespace = namespace === '' || reference?.repository.startsWith(`${namespace}/`);
    if (!reference || reference.registry !== registry || !inNamespace) {
      throw new BallastError('BALLAST_CHART_HOST_NOT_ALLOWED', {
        url,
        upstream: client.label,
        reason: 'an index entry of an OCI upstream must point into its own registry namespace',
      });
    }
    const chart =
      namespace === '' ? reference.repository : reference.repository.slice(namespace.length + 1);
    return { chart, reference };
  };
  return {
    url: client.url,
    label: client.label,
    key: client.location.registry,

    async fetchIndex(validators, signal) {
      const build = await buildOciIndex({
        client,
        charts,
        ...(previous ? { previous } : {}),
        ...(signal ? { signal } : {}),
      });
      previous = build;
      const body = Buffer.from(JSON.stringify(build.index));
      const etag = `"${createHash('sha256').update(body).digest('hex')}"`;
      if (validators?.etag === etag) return { kind: 'not-modified' };
      return {
        kind: 'fetched',
        body: (async function* () {
          yield body;
        })(),
        validators: { etag },
      };
    },

    async fetchChart(url, { file, digest, maxBytes }, signal) {
      const { chart, reference } = locate(url);
      const pulled = await pullChartVersion(client, store, {
        chart,
        version: tagToVersion(reference.tag),
        expectedDigest: digest,
        maxChartBytes: maxBytes,
        maxProvenanceBytes: limits.maxProvenanceBytes,
        signal,
      });
      await store.putDocument(
        storeKeys.ociUpstreamManifest(pulled.chart.digest),
        pulled.manifest.bytes,
      );
      if (pulled.chart.digest !== digest)
        throw new Error(`pulled ${file} has an unexpected digest`);
      return pulled.chart;
    },

    async fetchManifest(url, signal) {
      const { chart, reference } = locate(url);
      const manifest = await client.getManifest(chart, reference.tag, signal);
      // The manifest names the upstream's config blob and provenance layer; they must be
      // servable too.
      const what = `${chart}:${reference.tag}`;
      await client.storeBlob(store, chart, manifest.chart.config, {
        maxBytes: 1024 * 1024,
        what: `config of ${what}`,
        signal,
      });
      await storeProvenance(client, store, chart, manifest, {
        maxBytes: limits.maxProvenanceBytes,
        what: `provenance of ${what}`,
        signal,
      });
      return manifest.bytes;
    },

    /** A chart's `.prov`: its manifest's provenance layer, for `helm pull --verify`. */
    async fetchSidecar(url, what, maxBytes, signal) {
      const notFound = new BallastError('BALLAST_CHART_NOT_FOUND', {
        repo: client.label,
        file: url,
      });
      if (what !== 'provenance' || !url.endsWith('.prov')) throw notFound;
      const { chart, reference } = locate(url.slice(0, -'.prov'.length));
      const manifest = await client.getManifest(chart, reference.tag, signal);
      const stored = await storeProvenance(client, store, chart, manifest, {
        maxBytes,
        what: `provenance of ${chart}:${reference.tag}`,
        signal,
      });
      if (!stored) throw notFound;
      return Buffer.concat(await (await store.readBlob(stored.digest)).toArray());
    },
  };
}
