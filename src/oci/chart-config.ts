import { ChartFormatError } from '../helm/chart-format-error.ts';
import { type ChartMetadata, normalizeChartMetadata } from '../helm/chart-metadata.ts';
import { OciFormatError } from './oci-format-error.ts';

/** Parses a config blob (JSON) of a chart pushed to a registry; throws OciFormatError. */
export function parseChartConfig(bytes: Uint8Array): ChartMetadata {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OciFormatError('the config blob is not JSON');
  }
  try {
    return normalizeChartMetadata(raw, { scalarsAsStrings: false });
  } catch (error) {
    if (error instanceof ChartFormatError) throw new OciFormatError(error.message);
    throw error;
  }
}
