import { createHash } from 'node:crypto';
import { BallastError } from '../errors/ballast-error.ts';
import type { Digest } from '../store/store.ts';
import { chartArchiveMetadata } from './chart-archive-metadata.ts';
import { ChartFormatError } from './chart-format-error.ts';
import type { ChartMetadata } from './chart-metadata.ts';
import { chartMetadataProblem } from './chart-metadata-validate.ts';

export interface ChartUploadLimits {
  /** Bytes of the upload itself (the repo's `maxUploadSize`): over it, 413. */
  maxBytes: number;
  /** Bytes of tar after gunzip, all entries together: a gzip bomb stops here. */
  maxUnpackedBytes: number;
  /** Tar entries, directories included. */
  maxEntries: number;
}

/** Helm's own loader refuses charts over 100 MiB unpacked; 20 MiB is ChartMuseum's upload limit. */
export const defaultChartUploadLimits: Readonly<ChartUploadLimits> = Object.freeze({
  maxBytes: 20 * 1024 * 1024,
  maxUnpackedBytes: 100 * 1024 * 1024,
  maxEntries: 10_000,
});

/** A chart that passed every check: what the index entry and the store will say. */
export interface ValidChart {
  name: string;
  version: string;
  metadata: ChartMetadata;
  /** sha256 of the uploaded bytes, computed here (never taken from the client). */
  digest: Digest;
  size: number;
}

export interface ChartUploadOptions {
  limits?: Partial<ChartUploadLimits>;
  /** The name the client gave the file (a multipart filename): must be `<name>-<version>.tgz`. */
  fileName?: string;
}

/**
 * Checks an uploaded chart archive whole before anything is stored: a gzip'd tar within the
 * limits, safe paths under one top-level directory named after the chart, and a Chart.yaml
 * Helm accepts. Throws BALLAST_UPLOAD_TOO_LARGE (413) past `maxBytes`, and
 * BALLAST_CHART_INVALID (400) with the reason for every other refusal.
 */
export async function validateChartUpload(
  bytes: Buffer,
  options: ChartUploadOptions = {},
): Promise<ValidChart> {
  const limits = { ...defaultChartUploadLimits, ...options.limits };
  if (bytes.length > limits.maxBytes)
    throw new BallastError('BALLAST_UPLOAD_TOO_LARGE', { limit: limits.maxBytes });
  try {
    const metadata = await chartArchiveMetadata(bytes, {
      maxUnpackedBytes: limits.maxUnpackedBytes,
      maxEntries: limits.maxEntries,
      maxChartYamlBytes: 1024 * 1024,
    });
    const problem = chartMetadataProblem(metadata);
    if (problem) throw new ChartFormatError(`Chart.yaml: ${problem}`);
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
