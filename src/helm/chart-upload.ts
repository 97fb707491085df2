// Stand-in until the upload validation lands (same name and signature); replaced on merge.
import { BallastError } from '../errors/ballast-error.ts';
import {
  type ChartArchiveLimits,
  defaultChartArchiveLimits,
  readChartArchiveMetadata,
} from '../oci/chart-archive-metadata.ts';
import type { ChartMetadata } from '../oci/chart-metadata.ts';

export async function validateChartUpload(
  bytes: Buffer,
  options: { limits?: ChartArchiveLimits; fileName?: string } = {},
): Promise<ChartMetadata> {
  try {
    return await readChartArchiveMetadata(bytes, {
      what: options.fileName ?? 'upload',
      limits: options.limits ?? defaultChartArchiveLimits,
    });
  } catch (error) {
    throw new BallastError('BALLAST_BAD_REQUEST', { reason: (error as Error).message });
  }
}
