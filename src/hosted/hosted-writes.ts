import type { Digest } from '../store/store.ts';

/** Who writes, for access checks already made and for the audit log. */
export interface Actor {
  /** The user or token name that was authenticated. */
  who: string;
  /** The client address the write came from. */
  address: string;
}

/** One chart version of a hosted repository, as its catalogue keeps it. */
export interface HostedVersion {
  name: string;
  version: string;
  /** The chart archive, a blob in the store; Ballast computed this digest. */
  digest: Digest;
  size: number;
  /** RFC 3339, when it was uploaded. */
  created: string;
  /** Chart.yaml as Helm reads it: the fields the index entry carries. */
  metadata: Record<string, unknown>;
  /** The provenance file, a blob, when one was uploaded. */
  provenance?: Digest;
  /** The OCI manifest it was pushed with (a blob, served byte for byte), when pushed over OCI. */
  manifest?: { digest: Digest; mediaType: string };
}

export interface ChartUpload {
  /** The chart archive as uploaded; validated before anything is visible. */
  chart: Buffer;
  prov?: Buffer;
  /** For an OCI push: the manifest's exact bytes, already stored as a blob. */
  manifest?: { digest: Digest; mediaType: string };
  /** Replace an existing version (ChartMuseum's `?force`); refused unless the repo allows it. */
  force?: boolean;
  /** The file name the client gave (a multipart filename), checked against Chart.yaml. */
  fileName?: string;
}

/**
 * The write side of a hosted repository, which the ChartMuseum API and OCI push both use:
 * one content, however it arrives. Every method checks its input and throws a BallastError
 * (4xx) that names the reason; nothing changes on failure.
 */
export interface HostedWrites {
  readonly name: string;
  /** The largest chart upload the repo accepts (`maxUploadSize`): bodies are cut there. */
  readonly maxUploadSize: number;
  /** Validates, stores and lists the chart; visible in the index when this resolves. */
  putChart(upload: ChartUpload, actor: Actor): Promise<HostedVersion>;
  /**
   * Adds a provenance file to a version already uploaded (`POST /api/{repo}/prov`); one that
   * has a provenance file already is replaced only with `force` on a repo that allows it.
   */
  putProvenance(prov: Buffer, actor: Actor, options?: { force?: boolean }): Promise<HostedVersion>;
  /** Removes a version and its provenance; false when there was no such version. */
  remove(name: string, version: string, actor: Actor): Promise<boolean>;
  /** Every version of every chart, newest version first per chart. */
  list(): Promise<ReadonlyMap<string, readonly HostedVersion[]>>;
  get(name: string, version: string): Promise<HostedVersion | undefined>;
}
