import { Readable } from 'node:stream';
import { BallastError } from '../errors/ballast-error.ts';
import { chartArchiveMetadata } from '../helm/chart-archive-metadata.ts';
import { ChartFormatError } from '../helm/chart-format-error.ts';
import { type Sha256Digest, sha256Digest } from '../oci/digest.ts';
import { type ChartManifest, type Descriptor, parseChartManifest } from '../oci/manifest.ts';
import { OciFormatError } from '../oci/oci-format-error.ts';
import { tagToVersion, versionToTag } from '../oci/tag-version.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { readLimited } from './blob-uploads.ts';
import type { Actor, HostedWrites } from './hosted-writes.ts';

/** As the reference registry: a manifest is metadata, never this big. */
export const maxManifestBytes = 4 * 1024 * 1024;

export interface ManifestPushTarget {
  repo: string;
  chart: string;
  name: string;
  hosted: HostedWrites;
  actor: Actor;
}

export type ManifestReference = { tag: string } | { digest: Sha256Digest };

/**
 * A manifest pushed by tag or digest: it must be a Helm chart manifest whose blobs were all
 * uploaded, for the chart named in the path, tagged with the chart's version. Its exact bytes
 * are kept as a blob (pulls serve them back unchanged) and the chart goes to the hosted repo,
 * which validates it like any upload. Returns the manifest's digest.
 */
export async function storeManifest(
  deps: { store: Store },
  target: ManifestPushTarget,
  reference: ManifestReference,
  upload: { body: AsyncIterable<Uint8Array>; contentType: string | undefined },
): Promise<Sha256Digest> {
  const { store } = deps;
  const { name, chart, hosted, actor } = target;
  const invalid = (reason: string) =>
    new BallastError('BALLAST_MANIFEST_INVALID', { name, reason });
  const bytes = await readLimited(upload.body, maxManifestBytes, () =>
    invalid(`it is larger than ${maxManifestBytes} bytes`),
  );
  const digest = sha256Digest(bytes);
  if ('digest' in reference && reference.digest !== digest)
    throw new BallastError('BALLAST_UPLOAD_DIGEST_MISMATCH', { expected: reference.digest });
  let parsed: ChartManifest;
  try {
    parsed = parseChartManifest(bytes, upload.contentType);
  } catch (error) {
    if (error instanceof OciFormatError) throw invalid(error.message);
    throw error;
  }
  const blobs = [parsed.config, parsed.chart, ...(parsed.provenance ? [parsed.provenance] : [])];
  for (const blob of blobs) await requireBlob(store, name, blob);
  const chartBytes = await readAll(store, parsed.chart.digest);
  let version: string;
  try {
    const metadata = await chartArchiveMetadata(chartBytes);
    if (metadata.name !== chart)
      throw invalid(`the chart is named ${metadata.name}, pushed as ${chart}`);
    version = metadata.version;
  } catch (error) {
    if (error instanceof ChartFormatError) throw invalid(`the chart layer: ${error.message}`);
    throw error;
  }
  if ('tag' in reference && reference.tag !== versionToTag(version))
    throw invalid(
      `the tag must be the chart's version ${versionToTag(version)}, not ${reference.tag}`,
    );
  // Pushing the same manifest again (a retry, a second `helm push`) changes nothing.
  const existing = await hosted.get(chart, version);
  if (existing?.manifest?.digest === digest) return digest;
  await store.putBlob(Readable.from([bytes]), {
    expectedDigest: digest,
    maxBytes: bytes.length,
    what: `the manifest for ${name}`,
    source: 'a client',
  });
  // Clients ask for what they pushed by digest (Helm 4 tags by re-reading it): the pull side
  // finds the chart of a manifest digest through this pointer.
  await store.putDocument(storeKeys.ociManifestChart(digest), parsed.chart.digest);
  const prov = parsed.provenance && (await readAll(store, parsed.provenance.digest));
  await hosted.putChart(
    {
      chart: chartBytes,
      ...(prov ? { prov } : {}),
      manifest: { digest, mediaType: parsed.mediaType },
    },
    actor,
  );
  return digest;
}

/**
 * Removes the version a tag or manifest digest stands for. A chart uploaded through the API
 * has no pushed manifest; its digest is the one the pull side serves (`servedDigest`).
 */
export async function removeManifest(
  target: ManifestPushTarget,
  reference: ManifestReference,
  servedDigest: (tag: string) => Promise<string | undefined>,
): Promise<void> {
  const { chart, hosted, actor } = target;
  let version: string | undefined;
  if ('tag' in reference) version = tagToVersion(reference.tag);
  else {
    for (const candidate of (await hosted.list()).get(chart) ?? []) {
      const tag = versionToTag(candidate.version);
      if (
        candidate.manifest?.digest === reference.digest ||
        (await servedDigest(tag)) === reference.digest
      ) {
        version = candidate.version;
        break;
      }
    }
  }
  if (version === undefined || !(await hosted.remove(chart, version, actor)))
    throw new BallastError('BALLAST_HOSTED_VERSION_NOT_FOUND', {
      repo: target.repo,
      name: chart,
      version: version ?? ('tag' in reference ? reference.tag : reference.digest),
    });
}

async function requireBlob(store: Store, name: string, blob: Descriptor): Promise<void> {
  const found = await store.statBlob(blob.digest);
  if (!found || found.size !== blob.size)
    throw new BallastError('BALLAST_MANIFEST_BLOB_UNKNOWN', { name, digest: blob.digest });
}

async function readAll(store: Store, digest: Sha256Digest): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of await store.readBlob(digest)) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}
