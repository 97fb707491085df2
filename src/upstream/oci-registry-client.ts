import { BallastError } from '../errors/ballast-error.ts';
import type { ChartMetadata } from '../helm/chart-metadata.ts';
import type { EventBus } from '../observability/events.ts';
import { parseChartConfig } from '../oci/chart-config.ts';
import { isSha256Digest, looksLikeDigest, type Sha256Digest, sha256Digest } from '../oci/digest.ts';
import { type ChartManifest, type Descriptor, parseChartManifest } from '../oci/manifest.ts';
import { manifestAcceptHeader } from '../oci/media-types.ts';
import { isTag } from '../oci/names.ts';
import { OciFormatError } from '../oci/oci-format-error.ts';
import { formatOciChartUrl, type OciUpstreamLocation } from '../oci/oci-reference.ts';
import type { BlobInfo, Store } from '../store/store.ts';
import { createHostPolicy } from './host-policy.ts';
import type { HttpClient } from './http-client.ts';
import {
  chartRepositoryChecked,
  digestOf,
  pullScope,
  upstreamLocation,
} from './oci-client-references.ts';
import { createRegistryTransport } from './oci-registry-transport.ts';
import { createRequestObserver } from './oci-request-events.ts';
import { fetchTagPages } from './oci-tag-pages.ts';
import { createRegistryAuth, type RegistryCredentials } from './oci-token-auth.ts';

export interface OciClientLimits {
  manifestBytes: number;
  configBytes: number;
  /** One page of a tag list. */
  tagListBytes: number;
  /** Pages followed through `Link` before giving up. */
  tagPages: number;
  /** Tags of one chart, over all pages. */
  tags: number;
  tokenBytes: number;
}

/** The spec asks registries to take manifests up to 4 MiB; a chart's are a few hundred bytes. */
export const defaultOciClientLimits: Readonly<OciClientLimits> = Object.freeze({
  manifestBytes: 4 * 1024 * 1024,
  configBytes: 1024 * 1024,
  tagListBytes: 4 * 1024 * 1024,
  tagPages: 100,
  tags: 100_000,
  tokenBytes: 64 * 1024,
});

export interface OciRegistryClientOptions {
  /** `oci://registry[:port]/namespace`, as configured. */
  url: string;
  /** Talk http instead of https (a registry without TLS, like a test registry on loopback). */
  plainHttp?: boolean;
  /** Hosts besides the registry (and its token realm) that redirects may lead to: blob CDNs. */
  chartHosts?: readonly string[];
  credentials?: RegistryCredentials;
  http: HttpClient;
  bus: EventBus;
  limits?: Partial<OciClientLimits>;
  /** Ask registries for pages of this many tags (`n`); their own default when absent. */
  tagPageSize?: number;
  now?: () => number;
}

export interface FetchedManifest {
  /** Exactly as the registry sent them: served on byte for byte, so signatures still verify. */
  bytes: Buffer;
  digest: Sha256Digest;
  mediaType: string;
  chart: ChartManifest;
}

export interface BlobRequest {
  maxBytes: number;
  /** For errors: what the blob is, e.g. `chart demo-1.0.0.tgz`. */
  what: string;
  signal?: AbortSignal;
}

/**
 * The pull side of the distribution API for Helm charts in one registry namespace. Chart
 * names are relative to the namespace (`demo` under `oci://host/charts` is `charts/demo`).
 * Every call can be wrapped by the resilience layer: errors are BallastErrors the fault
 * taxonomy knows, and every call takes an AbortSignal.
 */
export interface OciRegistryClient {
  readonly url: string;
  /** Safe to log: `oci://registry/namespace`. */
  readonly label: string;
  readonly location: OciUpstreamLocation;
  /** `GET /v2/`: the registry answers (authenticating if it asks to). */
  ping(signal?: AbortSignal): Promise<void>;
  /** Every tag of the chart, following `Link` pages (bounded). */
  listTags(chart: string, signal?: AbortSignal): Promise<string[]>;
  /** A chart manifest by tag or digest, verified against the digest it was asked by or the
   * `Docker-Content-Digest` the registry sent. */
  getManifest(chart: string, reference: string, signal?: AbortSignal): Promise<FetchedManifest>;
  /** The chart's config blob, verified against its descriptor and parsed as chart metadata. */
  getConfig(chart: string, config: Descriptor, signal?: AbortSignal): Promise<ChartMetadata>;
  /** The blob's bytes as they arrive, NOT yet verified: hand them to `Store.putBlob` with
   * `expectedDigest` (or use `storeBlob`). */
  openBlob(
    chart: string,
    blob: { digest: Sha256Digest; size?: number },
    request: BlobRequest,
  ): Promise<AsyncIterable<Buffer>>;
  /** The blob in the store, fetched and verified first unless it is there already. */
  storeBlob(
    store: Store,
    chart: string,
    blob: { digest: Sha256Digest; size?: number },
    request: BlobRequest,
  ): Promise<BlobInfo>;
  /** `oci://registry/namespace/chart:tag`, the URL an index entry built from OCI carries. */
  chartUrl(chart: string, tag: string): string;
}

export function createOciRegistryClient(options: OciRegistryClientOptions): OciRegistryClient {
  const location = upstreamLocation(options.url);
  const limits: OciClientLimits = { ...defaultOciClientLimits, ...options.limits };
  const { bus } = options;
  const label = `oci://${location.registry}${location.namespace ? `/${location.namespace}` : ''}`;
  const base = `${options.plainHttp ? 'http' : 'https'}://${location.registry}`;
  // Token realms the registry named in its challenges: requests may go there too.
  const realms = new Set<string>();
  const hosts = createHostPolicy({
    origin: new URL(base).origin,
    hosts: options.chartHosts ?? [],
    hostsKey: 'chartHosts',
    origins: realms,
  });
  const auth = createRegistryAuth({
    http: options.http,
    hosts,
    onRealm: (origin) => realms.add(origin),
    label,
    ...(options.credentials ? { credentials: options.credentials } : {}),
    ...(options.now ? { now: options.now } : {}),
    maxTokenBytes: limits.tokenBytes,
    observe: (kind, work) => observed(kind, work),
  });
  const transport = createRegistryTransport({ http: options.http, hosts, auth, base, label });

  const observed = createRequestObserver(bus, label);
  const repositoryOf = (chart: string) => chartRepositoryChecked(location, chart);

  async function getManifest(
    chart: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<FetchedManifest> {
    const repository = repositoryOf(chart);
    const byDigest = !isTag(reference);
    if (byDigest) digestOf(reference, 'manifest digest');
    const name = `${repository}${byDigest ? '@' : ':'}${reference}`;
    return observed('oci-manifest', async () => {
      const response = await transport.get(`/v2/${repository}/manifests/${reference}`, {
        scope: pullScope(repository),
        what: `manifest ${name}`,
        maxBytes: limits.manifestBytes,
        accept: manifestAcceptHeader,
        signal,
      });
      const digest = sha256Digest(response.body);
      const announced = response.headers['docker-content-digest']?.trim() || undefined;
      if (announced !== undefined && !looksLikeDigest(announced))
        throw new BallastError('BALLAST_OCI_RESPONSE_INVALID', {
          what: `manifest ${name}`,
          source: label,
          reason: 'its Docker-Content-Digest header is not a digest',
        });
      // A digest of another algorithm cannot be checked here; the bytes' own sha256 is kept.
      const expected = byDigest ? reference : announced;
      if (expected !== undefined && isSha256Digest(expected) && expected !== digest)
        throw new BallastError('BALLAST_DIGEST_MISMATCH', {
          what: `manifest ${name}`,
          source: label,
          expected,
        });
      let parsed: ChartManifest;
      try {
        parsed = parseChartManifest(response.body, response.headers['content-type']);
      } catch (error) {
        if (!(error instanceof OciFormatError)) throw error;
        throw new BallastError('BALLAST_OCI_MANIFEST_INVALID', {
          reference: name,
          source: label,
          reason: error.message,
        });
      }
      return { bytes: response.body, digest, mediaType: parsed.mediaType, chart: parsed };
    });
  }

  async function openBlob(
    chart: string,
    blob: { digest: Sha256Digest; size?: number },
    request: BlobRequest,
  ): Promise<AsyncIterable<Buffer>> {
    const repository = repositoryOf(chart);
    const digest = digestOf(blob.digest, 'blob digest');
    if (blob.size !== undefined && blob.size > request.maxBytes)
      throw new BallastError('BALLAST_BODY_TOO_LARGE', {
        what: request.what,
        source: label,
        limit: request.maxBytes,
      });
    // The descriptor's size is the most that can be right: stop reading past it.
    const maxBytes = blob.size === undefined ? request.maxBytes : blob.size;
    return observed('oci-blob', async () => {
      const response = await transport.open(`/v2/${repository}/blobs/${digest}`, {
        scope: pullScope(repository),
        what: request.what,
        maxBytes,
        signal: request.signal,
      });
      return response.body;
    });
  }

  return {
    url: options.url,
    label,
    location,

    async ping(signal) {
      await observed('oci-ping', () =>
        transport.get('/v2/', {
          scope: '',
          what: 'API version check',
          maxBytes: 64 * 1024,
          signal,
        }),
      );
    },

    async listTags(chart, signal) {
      const repository = repositoryOf(chart);
      return observed('oci-tags', () =>
        fetchTagPages({
          transport,
          repository,
          scope: pullScope(repository),
          label,
          limits,
          ...(options.tagPageSize ? { pageSize: options.tagPageSize } : {}),
          signal,
        }),
      );
    },

    getManifest,

    async getConfig(chart, config, signal) {
      const what = `config blob ${config.digest} of ${chart}`;
      const body = await openBlob(chart, config, { maxBytes: limits.configBytes, what, signal });
      const chunks: Buffer[] = [];
      for await (const chunk of body) chunks.push(chunk);
      const bytes = Buffer.concat(chunks);
      const actual = sha256Digest(bytes);
      if (actual !== config.digest)
        throw new BallastError('BALLAST_DIGEST_MISMATCH', {
          what,
          source: label,
          expected: config.digest,
        });
      try {
        return parseChartConfig(bytes);
      } catch (error) {
        if (!(error instanceof OciFormatError)) throw error;
        throw new BallastError('BALLAST_OCI_CONFIG_INVALID', {
          digest: config.digest,
          source: label,
          reason: error.message,
        });
      }
    },

    openBlob,

    async storeBlob(store, chart, blob, request) {
      const digest = digestOf(blob.digest, 'blob digest');
      const stored = await store.statBlob(digest);
      if (stored) return stored;
      const body = await openBlob(chart, blob, request);
      return store.putBlob(body, {
        expectedDigest: digest,
        maxBytes: blob.size ?? request.maxBytes,
        what: request.what,
        source: label,
      });
    },

    chartUrl(chart, tag) {
      return formatOciChartUrl({
        registry: location.registry,
        repository: repositoryOf(chart),
        tag,
      });
    },
  };
}
