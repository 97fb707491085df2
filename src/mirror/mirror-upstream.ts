import type { BlobInfo, Digest } from '../store/store.ts';
import type { IndexFetch, IndexValidators } from '../upstream/classic-repo-client.ts';

export interface ChartRequest {
  /** The served file name, for messages. */
  file: string;
  /** What the bytes must hash to: the digest the served index gave; none to pin on first use. */
  digest: Digest | undefined;
  maxBytes: number;
}

/**
 * One upstream of a mirrored repository as the mirror sees it, whatever its protocol: a
 * classic repository (index.yaml) or an OCI registry (index synthesised from tags). Every
 * call takes the signal of the resilience layer and throws errors the fault taxonomy knows.
 */
export interface MirrorUpstream {
  readonly url: string;
  /** Safe to log. */
  readonly label: string;
  /** host:port: names its circuit breaker, latency window and metrics. */
  readonly key: string;
  /** The index, as bytes Helm's parser reads; `not-modified` when the validators still match. */
  fetchIndex(validators: IndexValidators | undefined, signal?: AbortSignal): Promise<IndexFetch>;
  /** Puts the chart at `url` (from this upstream's index) into the store, verified. */
  fetchChart(url: string, request: ChartRequest, signal: AbortSignal): Promise<BlobInfo>;
  /** OCI upstreams: the manifest of the chart at `url`, byte for byte, its config blob stored. */
  fetchManifest?(url: string, signal: AbortSignal): Promise<Buffer>;
  /** A small file next to a chart, such as its `.prov`. */
  fetchSidecar(url: string, what: string, maxBytes: number, signal: AbortSignal): Promise<Buffer>;
}
