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
  isServedIndex: (key: string) => documentKinds.servedIndex.pattern.test(key),
  /** The served form of the index (which bodies, their checksums), for restarts. */
  servedForm: (repo: string) => `repos/${repo}/served-form`,
  /** Where the bodies of the served index are kept, named by their digest. */
  servedBodies: (repo: string) => `repos/${repo}/served-bodies`,
  /** One body of the served index: the JSON, its `.gz` and `.br` forms, and its `.table`. */
  servedBody: (repo: string, digest: Digest, form: '' | '.gz' | '.br' | '.table' = '') =>
    `repos/${repo}/served-bodies/${hex(digest)}.json${form}`,
  /** One upstream's last good index, as received (a header line, then its bytes). */
  upstreamIndex: (repo: string, upstreamUrl: string) =>
    `repos/${repo}/upstreams/${sha256Hex(upstreamUrl).slice(0, 16)}`,
  /** Which replica asks an upstream for its index; outside `roots`, never bundled. */
  upstreamLease: (repo: string, upstreamUrl: string) =>
    `leases/repos/${repo}/${sha256Hex(upstreamUrl).slice(0, 16)}`,
  /** What the replica that last asked a repository's upstreams found; outside `roots`. */
  indexFreshness: (repo: string) => `replicas/repos/${repo}/freshness`,
  /** Digests pinned on first download for entries published without one (`unverified: pin`). */
  chartPins: (repo: string) => `repos/${repo}/pins`,
  /** A hosted repository's catalogue: every uploaded version and the blobs that hold it. */
  hostedCatalogue: (repo: string) => `repos/${repo}/hosted-catalogue`,
  provenance: (repo: string, chartDigest: Digest) =>
    `repos/${repo}/provenance/${hex(chartDigest)}.prov`,

  /** An OCI upstream's manifest for a chart, by the chart's digest, as the registry sent it. */
  ociUpstreamManifest: (chartDigest: Digest) => `oci/upstream-manifests/${hex(chartDigest)}`,
  /** Ballast's own manifest for a chart that came from a classic repository. */
  ociBuiltManifest: (chartDigest: Digest) => `oci/manifests/${hex(chartDigest)}`,
  /** Which chart a manifest digest stands for, so clients can ask by digest after a restart. */
  ociManifestCharts: 'oci/manifest-charts/',
  ociManifestChart: (manifestDigest: string) => `oci/manifest-charts/${hex(manifestDigest)}`,

  /** An upstream's probe state and its day of history, by its place in the config. */
  probeRecord: (kind: 'repo' | 'file', name: string, position: number) =>
    `probes/${kind}/${name}/${position}`,

  /** A file mirror's entries, one per requested path, named by the path's sha256. */
  fileEntries: (mirror: string) => `files/${mirror}/entries/`,
  fileEntry: (mirror: string, path: string) => `files/${mirror}/entries/${sha256Hex(path)}`,

  /**
   * Blob uploads in progress (OCI push), outside `roots` and never bundled: each upload's state
   * and its chunks, named by the offset they start at, so any replica can take the next request.
   */
  uploads: 'uploads/',
  uploadState: (id: string) => `uploads/${id}/state`,
  /** A chunk, by its offset and a nonce: two replicas racing for one offset never share a key. */
  uploadChunk: (id: string, start: number, nonce: string) =>
    `uploads/${id}/${String(start).padStart(12, '0')}-${nonce}`,

  /** The bytes of a blob that failed verification, kept for inspection; outside `roots`. */
  quarantine: (digest: Digest) => `quarantine/${hex(digest)}`,
});

/** Members of `storeKeys` that name folders or test keys rather than build a document's key. */
export const storeKeyHelpers = Object.freeze([
  'roots',
  'repo',
  'isServedIndex',
  'ociManifestCharts',
  'fileEntries',
  'servedBodies',
  'uploads',
] as const);

/** The members of `storeKeys` that build the key of one kind of document. */
export type DocumentKindName = Exclude<keyof typeof storeKeys, (typeof storeKeyHelpers)[number]>;

/**
 * What a kind of document says about blobs, for garbage collection:
 * - `root`: the digests it names are in use (stored indexes, file-mirror entries, hosted
 *   catalogues);
 * - `chart-manifest`: keyed by a chart's digest, names blobs (the OCI config) in use while that
 *   chart is, and goes when the chart goes;
 * - `chart-document`: keyed by a chart's digest, names no blob, goes with the chart;
 * - `pointer`: holds a chart's digest (manifest digest → chart), goes with the chart;
 * - `none`: names no blob.
 */
export type DocumentRole = 'root' | 'chart-manifest' | 'chart-document' | 'pointer' | 'none';

/**
 * Every kind of document, by the `storeKeys` member that builds its key: the pattern its keys
 * match and its role. The type makes a new document key in `storeKeys` a compile error until it
 * is described here, so gc never meets a document it would misread (store-keys.test.ts checks
 * each pattern against its builder).
 */
export const documentKinds = Object.freeze({
  servedIndex: { pattern: /^repos\/[^/]+\/served$/, role: 'none' },
  servedForm: { pattern: /^repos\/[^/]+\/served-form$/, role: 'none' },
  servedBody: {
    pattern: /^repos\/[^/]+\/served-bodies\/[0-9a-f]{64}\.json(\.gz|\.br|\.table)?$/,
    role: 'none',
  },
  chartPins: { pattern: /^repos\/[^/]+\/pins$/, role: 'root' },
  hostedCatalogue: { pattern: /^repos\/[^/]+\/hosted-catalogue$/, role: 'root' },
  upstreamIndex: { pattern: /^repos\/[^/]+\/upstreams\/[^/]+$/, role: 'root' },
  upstreamLease: { pattern: /^leases\/repos\/[^/]+\/[0-9a-f]{16}$/, role: 'none' },
  indexFreshness: { pattern: /^replicas\/repos\/[^/]+\/freshness$/, role: 'none' },
  provenance: {
    pattern: /^repos\/[^/]+\/provenance\/[0-9a-f]{64}\.prov$/,
    role: 'chart-document',
  },
  ociUpstreamManifest: {
    pattern: /^oci\/upstream-manifests\/[0-9a-f]{64}$/,
    role: 'chart-manifest',
  },
  ociBuiltManifest: { pattern: /^oci\/manifests\/[0-9a-f]{64}$/, role: 'chart-manifest' },
  ociManifestChart: { pattern: /^oci\/manifest-charts\/[0-9a-f]{64}$/, role: 'pointer' },
  fileEntry: { pattern: /^files\/[^/]+\/entries\/[0-9a-f]{64}$/, role: 'root' },
  quarantine: { pattern: /^quarantine\/[0-9a-f]{64}$/, role: 'none' },
  uploadState: { pattern: /^uploads\/[0-9a-f-]{36}\/state$/, role: 'none' },
  uploadChunk: { pattern: /^uploads\/[0-9a-f-]{36}\/\d{12}-[0-9a-f]{8}$/, role: 'none' },
  probeRecord: { pattern: /^probes\/(repo|file)\/[^/]+\/\d+$/, role: 'none' },
} as const satisfies Record<DocumentKindName, { pattern: RegExp; role: DocumentRole }>);

const kindNames = Object.keys(documentKinds) as DocumentKindName[];

/** Which kind of document a key names, or undefined when no version of the layout wrote it. */
export function documentKindOf(key: string): DocumentKindName | undefined {
  return kindNames.find((name) => documentKinds[name].pattern.test(key));
}
