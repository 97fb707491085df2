import { createHash } from 'node:crypto';
import { BallastError } from '../errors/ballast-error.ts';
import type { Digest } from '../store/store.ts';
import { chartMetadataFromYaml } from './chart-archive-metadata.ts';
import { ChartFormatError } from './chart-format-error.ts';
import type { ChartMetadata } from './chart-metadata.ts';
import { asHelmLoadsIt, chartMetadataProblem } from './chart-metadata-validate.ts';
import { scanUploadedChart, type UploadScanLimits } from './chart-upload-scan.ts';

export interface ChartUploadLimits extends UploadScanLimits {
  /** Bytes of the upload itself (the repo's `maxUploadSize`): over it, 413. */
  maxBytes: number;
}

/**
 * 20 MiB is ChartMuseum's default upload limit; the unpacked bounds are Helm's own loader's
 * (100 MiB a chart, 5 MiB a file), so nothing Helm could load is refused for size.
 */
export const defaultChartUploadLimits: Readonly<ChartUploadLimits> = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxUnpackedBytes: 100 * 1024 * 1024,
  maxEntries: 10_000,
  maxFileBytes: 5 * 1024 * 1024,
});

/** A chart that passed every check: what the index entry and the store will say. */
export interface ValidChart {
  name: string;
  version: string;
  /** Chart.yaml as Helm loads it (known fields, apiVersion filled in, strings sanitised). */
  metadata: ChartMetadata;
  /** sha256 of the uploaded bytes, computed here (never taken from the client). */
  digest: Digest;
  size: number;
}

export interface ChartUploadOptions {
  limits?: Partial<ChartUploadLimits>;
  /**
   * The name the client gave the file: when given, it must be `<name>-<version>.tgz`.
   * ChartMuseum ignores a multipart filename and names the chart from its content, so
   * `cm-push` of a renamed archive works there; pass this only where the name matters.
   */
  fileName?: string;
}

/** Packaged subcharts inside packaged subcharts: Helm has no limit, a hostile upload needs one. */
const maxSubchartDepth = 5;

/**
 * Checks an uploaded chart archive whole before anything is stored: a gzip'd tar within the
 * limits, every entry a file or directory under one top-level directory named after the chart,
 * no path tricks, and a Chart.yaml (and subchart Chart.yamls) that Helm accepts. Throws
 * BALLAST_UPLOAD_TOO_LARGE (413) past `maxBytes`, and BALLAST_CHART_INVALID (400) with the
 * reason for every other refusal.
 */
export async function validateChartUpload(
  bytes: Buffer,
  options: ChartUploadOptions = {},
): Promise<ValidChart> {
  const limits = { ...defaultChartUploadLimits, ...options.limits };
  if (bytes.length > limits.maxBytes)
    throw new BallastError('BALLAST_UPLOAD_TOO_LARGE', { limit: limits.maxBytes });
  try {
    const { metadata } = await checkChart(bytes, limits, 0);
    const { name, version } = metadata;
    const expected = `${name}-${version}.tgz`;
    if (options.fileName !== undefined && options.fileName !== expected)
      throw new ChartFormatError(
        `the file is named ${JSON.stringify(options.fileName)} but its Chart.yaml says ${expected}`,
      );
    const digest: Digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    return { name, version, metadata, digest, size: bytes.length };
  } catch (error) {
    if (!(error instanceof ChartFormatError)) throw error;
    throw new BallastError('BALLAST_CHART_INVALID', { reason: error.message }, { cause: error });
  }
}

/** One chart archive (the upload, or a packaged subchart in it); returns what it unpacked to. */
async function checkChart(
  bytes: Uint8Array,
  limits: UploadScanLimits,
  depth: number,
): Promise<{ metadata: ChartMetadata; unpacked: number }> {
  const scanned = await scanUploadedChart(bytes, limits);
  const { top } = scanned;
  const metadata = loadedMetadata(scanned.chartYaml, `${top}/Chart.yaml`, depth === 0);
  // Helm loads a subchart archive whatever its directory is called; `helm package` and what
  // a repository serves put a chart under <name>/.
  if (depth === 0 && top !== metadata.name)
    throw new ChartFormatError(
      `the archive's top-level directory is ${JSON.stringify(top)} but Chart.yaml names the chart ${JSON.stringify(metadata.name)}; helm package puts a chart under <name>/`,
    );
  let unpacked = scanned.unpacked;
  for (const [path, subchart] of scanned.subcharts) {
    if (subchart.chartYaml !== undefined)
      loadedMetadata(subchart.chartYaml, `${top}/${path}/Chart.yaml`, false);
    if (!subchart.archive) continue;
    if (depth + 1 > maxSubchartDepth)
      throw new ChartFormatError(`${top}/${path}: subcharts nest deeper than ${maxSubchartDepth}`);
    const remaining = { ...limits, maxUnpackedBytes: limits.maxUnpackedBytes - unpacked };
    const inner = await checkChart(subchart.archive, remaining, depth + 1).catch((error) => {
      if (!(error instanceof ChartFormatError)) throw error;
      throw new ChartFormatError(`subchart ${top}/${path}: ${error.message}`);
    });
    unpacked += inner.unpacked;
  }
  return { metadata, unpacked };
}

function loadedMetadata(text: string, where: string, uploaded: boolean): ChartMetadata {
  try {
    const metadata = asHelmLoadsIt(chartMetadataFromYaml(text));
    const problem = chartMetadataProblem(metadata, { uploaded });
    if (problem) throw new ChartFormatError(problem);
    return metadata;
  } catch (error) {
    if (!(error instanceof ChartFormatError)) throw error;
    throw new ChartFormatError(`${where}: ${error.message}`);
  }
}
