import yaml from 'js-yaml';
import { BallastError } from '../errors/ballast-error.ts';
import { type ArchiveScanLimits, readEntry, scanChartArchive } from './chart-archive-scan.ts';
import { ChartFormatError } from './chart-format-error.ts';
import { type ChartMetadata, normalizeChartMetadata } from './chart-metadata.ts';

export interface ChartArchiveLimits extends ArchiveScanLimits {
  maxChartYamlBytes: number;
}

export const defaultChartArchiveLimits: Readonly<ChartArchiveLimits> = Object.freeze({
  maxUnpackedBytes: 64 * 1024 * 1024,
  maxEntries: 10_000,
  maxChartYamlBytes: 1024 * 1024,
});

/**
 * Reads the chart's metadata out of a chart archive (a gzip'd tar whose files sit under
 * `<chart-name>/`): the first `<dir>/Chart.yaml` is parsed the way Helm reads it. Reading
 * stops there; everything before it is bounded and checked, so a hostile archive (a gzip bomb,
 * endless entries, `..` or absolute paths, a symlinked Chart.yaml) fails with
 * BALLAST_OCI_CHART_INVALID naming `what` and the reason.
 */
export async function readChartArchiveMetadata(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  options: { what?: string; limits?: ChartArchiveLimits } = {},
): Promise<ChartMetadata> {
  try {
    return await chartArchiveMetadata(archive, options.limits ?? defaultChartArchiveLimits);
  } catch (error) {
    if (!(error instanceof ChartFormatError)) throw error;
    throw new BallastError(
      'BALLAST_OCI_CHART_INVALID',
      { what: options.what ?? 'archive', reason: error.message },
      { cause: error },
    );
  }
}

/** As readChartArchiveMetadata, throwing ChartFormatError for callers that name their own error. */
export async function chartArchiveMetadata(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  limits: ChartArchiveLimits = defaultChartArchiveLimits,
): Promise<ChartMetadata> {
  return chartMetadataFromYaml(await findChartYaml(archive, limits));
}

/** Chart.yaml text to metadata; throws ChartFormatError when it is not chart metadata. */
export function chartMetadataFromYaml(text: string): ChartMetadata {
  let raw: unknown;
  try {
    raw = yaml.load(text.replace(/^\uFEFF/, ''), { schema: yaml.FAILSAFE_SCHEMA });
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ChartFormatError(`Chart.yaml is not valid YAML: ${message}`);
  }
  return normalizeChartMetadata(raw, {
    scalarsAsStrings: true,
    budget: Math.max(10_000, text.length),
  });
}

async function findChartYaml(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  limits: ChartArchiveLimits,
): Promise<string> {
  let text: string | undefined;
  await scanChartArchive(archive, limits, async (entry) => {
    const parts = entry.parts[0] === '.' ? entry.parts.slice(1) : entry.parts;
    if (parts.length !== 2 || parts[1] !== 'Chart.yaml') return undefined;
    if (entry.type !== 'file' && entry.type !== 'contiguous-file')
      throw new ChartFormatError(`${entry.name} is not a regular file (${entry.type})`);
    text = (await readEntry(entry, limits.maxChartYamlBytes)).toString('utf8');
    return 'stop';
  });
  if (text === undefined)
    throw new ChartFormatError('the archive has no <chart>/Chart.yaml: not a chart');
  return text;
}
