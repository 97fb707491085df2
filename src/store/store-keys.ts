import { createHash } from 'node:crypto';
import type { Digest } from './store.ts';

const hex = (digest: string) => digest.slice('sha256:'.length);
const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Where every document Ballast writes lives in the store, in one place: the fs and S3 stores,
 * bundles and replicas all see the same layout, and a key is never assembled anywhere else.
 * Names that come from outside (URLs, file paths) are hashed, so any of them maps to a valid
 * key and none can name another.
 */
export const storeKeys = Object.freeze({
  /** The top-level folders, for bundles and listings. */
  roots: Object.freeze(['repos/', 'oci/', 'files/'] as const),

  /** Everything kept for one repository. */
  repo: (repo: string) => `repos/${repo}/`,
  /** Which upstreams the served index of a repository was built from, and when. */
  servedIndex: (repo: string) => `repos/${repo}/served`,
  isServedIndex: (key: string) => /^repos\/[^/]+\/served$/.test(key),
  /** The served form of the index (its bodies, checksums and chart table), for restarts. */
  servedForm: (repo: string) => `repos/${repo}/served-form`,
  /** Bodies of the served index, named by their digest: JSON, `.gz`, `.br` and `.table`. */
  servedBodies: (repo: string) => `repos/${repo}/served-bodies`,
  /** One upstream's last good index, as received (a header line, then its bytes). */
  upstreamIndex: (repo: string, upstreamUrl: string) =>
    `repos/${repo}/upstreams/${sha256Hex(upstreamUrl).slice(0, 16)}`,
  /** Which replica asks an upstream for its index; outside `roots`, never bundled. */
  upstreamLease: (repo: string, upstreamUrl: string) =>
    `leases/repos/${repo}/${sha256Hex(upstreamUrl).slice(0, 16)}`,
  /** Digests pinned on first download for entries published without one (`unverified: pin`). */
  chartPins: (repo: string) => `repos/${repo}/pins`,
  provenance: (repo: string, chartDigest: Digest) =>
    `repos/${repo}/provenance/${hex(chartDigest)}.prov`,

  /** An OCI upstream's manifest for a chart, by the chart's digest, as the registry sent it. */
  ociUpstreamManifest: (chartDigest: Digest) => `oci/upstream-manifests/${hex(chartDigest)}`,
  /** Ballast's own manifest for a chart that came from a classic repository. */
  ociBuiltManifest: (chartDigest: Digest) => `oci/manifests/${hex(chartDigest)}`,
  /** Which chart a manifest digest stands for, so clients can ask by digest after a restart. */
  ociManifestCharts: 'oci/manifest-charts/',
  ociManifestChart: (manifestDigest: string) => `oci/manifest-charts/${hex(manifestDigest)}`,

  /** A file mirror's entries, one per requested path, named by the path's sha256. */
  fileEntries: (mirror: string) => `files/${mirror}/entries/`,
  fileEntry: (mirror: string, path: string) => `files/${mirror}/entries/${sha256Hex(path)}`,
});
