import { z } from 'zod';
import { type Digest, isDigest, isDocumentKey } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';

/** The first entry of every bundle: what it holds, with the sha256 and size of every entry. */
export const manifestEntryName = 'ballast-bundle.json';
export const bundleFormat = 'ballast-bundle';
export const bundleVersion = 1;
/**
 * A manifest lists about 150 bytes per entry: 200,000 entries fit (a large repository exports
 * four per chart version). It is parsed whole, so it is the one entry that costs memory.
 */
export const maxManifestBytes = 32 * 1024 * 1024;

/** Store documents a bundle may carry: repositories, OCI manifests, file mirrors. */
export const bundleDocumentPrefixes = storeKeys.roots;

export interface BundleEntry {
  /** `blobs/sha256/<hex>` or `docs/<store key>`. */
  name: string;
  digest: Digest;
  size: number;
}

export interface BundleManifest {
  format: typeof bundleFormat;
  version: typeof bundleVersion;
  createdAt: string;
  /** Repositories and file mirrors in the bundle, with the upstreams they were mirrored from. */
  repos: { name: string; upstreams: string[] }[];
  files: { name: string; upstreams: string[] }[];
  entries: BundleEntry[];
}

const digest = z.string().refine(isDigest, 'expected sha256:<64 hex>');
const source = z.strictObject({ name: z.string().min(1), upstreams: z.array(z.string()) });
const manifestSchema = z.strictObject({
  format: z.literal(bundleFormat),
  version: z.literal(bundleVersion),
  createdAt: z.string(),
  repos: z.array(source),
  files: z.array(source),
  entries: z.array(
    z.strictObject({
      name: z.string().min(1).max(1024),
      digest,
      size: z.number().int().min(0),
    }),
  ),
});

/** The limits of the config that bound a document in a bundle, by kind. */
export interface DocumentLimits {
  indexSize: number;
  provSize: number;
}

/** An index document is the upstream's index after one JSON header line of a few hundred bytes. */
const indexHeaderBytes = 64 * 1024;
/** Everything else a bundle carries is metadata: OCI manifests (4 MiB in the spec), file entries. */
const metadataBytes = 4 * 1024 * 1024;

/** The most bytes a document may have, by what its key says it is, and the setting behind it. */
export function documentLimit(
  key: string,
  limits: DocumentLimits,
): { bytes: number; kind: string; setting: string } {
  if (/^repos\/[^/]+\/upstreams\//.test(key))
    return {
      bytes: limits.indexSize + indexHeaderBytes,
      kind: 'repository index',
      setting: 'limits.indexSize',
    };
  if (/^repos\/[^/]+\/provenance\//.test(key))
    return { bytes: limits.provSize, kind: 'provenance file', setting: 'limits.provSize' };
  return { bytes: metadataBytes, kind: 'metadata document', setting: 'fixed' };
}

export type EntryTarget = { kind: 'blob'; digest: Digest } | { kind: 'document'; key: string };

/**
 * Where an entry goes in the store, or why it may not go anywhere. Names are never used as
 * file paths: they map to a digest or a store key, and anything else (`..`, absolute paths,
 * keys outside the bundle's prefixes) is refused.
 */
export function entryTarget(entry: BundleEntry): EntryTarget | { problem: string } {
  const blob = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(entry.name);
  if (blob) {
    return `sha256:${blob[1]}` === entry.digest
      ? { kind: 'blob', digest: entry.digest }
      : { problem: 'a blob entry must be named after its own digest' };
  }
  if (entry.name.startsWith('docs/')) {
    const key = entry.name.slice('docs/'.length);
    if (!isDocumentKey(key)) return { problem: 'not a plain relative store key' };
    if (!bundleDocumentPrefixes.some((prefix) => key.startsWith(prefix)))
      return { problem: `documents must be under ${bundleDocumentPrefixes.join(', ')}` };
    return { kind: 'document', key };
  }
  return { problem: 'expected blobs/sha256/<hex> or docs/<key>' };
}

/** The manifest, checked: shape, unique names, and a store target for every entry. */
export function parseManifest(bytes: Buffer): { manifest: BundleManifest } | { problem: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { problem: `not JSON: ${(error as Error).message}` };
  }
  const result = manifestSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    return { problem: `${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}` };
  }
  const manifest = result.data as BundleManifest;
  const seen = new Set<string>([manifestEntryName]);
  for (const entry of manifest.entries) {
    if (seen.has(entry.name)) return { problem: `entry ${entry.name} is listed twice` };
    seen.add(entry.name);
    const target = entryTarget(entry);
    if ('problem' in target)
      return { problem: `entry ${JSON.stringify(entry.name)}: ${target.problem}` };
  }
  return { manifest };
}
