import type { BlobInfo } from '../store/store.ts';
import type { ViewSpec } from './index-view.ts';
import type { ServedIndex } from './served-index.ts';

export interface IndexOptions {
  /**
   * False when only the body is wanted (a full `index.yaml`): the answer need not wait for
   * the chart table a start reads behind the first serve. Default true.
   */
  table?: boolean;
}

export interface IndexView {
  index: ServedIndex;
  /** Set when the upstreams failed at the last attempt and this is the last good copy. */
  staleBecause?: string;
  /** When an upstream last confirmed this copy (ms since the epoch). */
  checkedAt: number;
}

export interface IndexStatus {
  ready: boolean;
  /** The stored index is still being loaded (or rebuilt) at start-up. */
  loading: boolean;
  versions: number;
  checkedAt: number;
  lastError?: string;
  /** With `unverified: pin`: entries whose digest was pinned on first fetch. */
  pinned?: number;
}

/**
 * A chart repository as the routes see it, whatever keeps it: a mirror of upstreams, a hosted
 * repository the team pushes to, or both in one index. Routes and the OCI face depend on this
 * and nothing below it.
 */
export interface ChartRepo {
  readonly name: string;
  /** Named views of its index (`repos[].views`), checked. */
  readonly views: ReadonlyMap<string, ViewSpec>;
  /** Loads the last good index from the store, so a restart serves without the upstreams. */
  load(): Promise<void>;
  index(signal?: AbortSignal, options?: IndexOptions): Promise<IndexView>;
  /** Makes sure the chart is in the store (verified) and says where. */
  chart(file: string, signal?: AbortSignal): Promise<BlobInfo>;
  /** The provenance file of a chart. */
  provenance(file: string, signal?: AbortSignal): Promise<Buffer>;
  /**
   * The OCI manifest a chart arrived with (from an OCI upstream, or pushed), byte for byte;
   * undefined when the chart came without one and the OCI face builds its own.
   */
  upstreamManifest(file: string, signal?: AbortSignal): Promise<Buffer | undefined>;
  /** Forces one revalidation; used by `sync` and tests. */
  refresh(signal?: AbortSignal): Promise<void>;
  status(): IndexStatus;
}
