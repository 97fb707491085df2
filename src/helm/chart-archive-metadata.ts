import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import yaml from 'js-yaml';
import { type Extract, extract } from 'tar-stream';
import { BallastError } from '../errors/ballast-error.ts';
import { ChartFormatError } from './chart-format-error.ts';
import { type ChartMetadata, normalizeChartMetadata } from './chart-metadata.ts';

export interface ChartArchiveLimits {
  /** Bytes of tar read (after gunzip) before giving up: a gzip bomb stops here. */
  maxUnpackedBytes: number;
  /** Tar entries looked at before giving up. */
  maxEntries: number;
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
  const tar = extract();
  const stop = new AbortController();
  const feeding = feed(archive, tar, limits, stop.signal).catch((error: unknown) => {
    if (!stop.signal.aborted) tar.destroy(asFormatError(error));
  });
  let entries = 0;
  try {
    for await (const entry of tar) {
      entries += 1;
      if (entries > limits.maxEntries)
        throw new ChartFormatError(`the archive has more than ${limits.maxEntries} entries`);
      const { name, type, size } = entry.header;
      const problem = unsafePathReason(name);
      if (problem) throw new ChartFormatError(`archive entry ${JSON.stringify(name)} ${problem}`);
      const parts = name.replace(/^\.\//, '').split('/');
      if (parts.length !== 2 || parts[1] !== 'Chart.yaml') {
        entry.resume();
        continue;
      }
      if (type !== 'file' && type !== 'contiguous-file')
        throw new ChartFormatError(`${name} is not a regular file (${type})`);
      if ((size ?? 0) > limits.maxChartYamlBytes)
        throw new ChartFormatError(`${name} is larger than ${limits.maxChartYamlBytes} bytes`);
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    }
  } catch (error) {
    throw asFormatError(error);
  } finally {
    stop.abort();
    tar.destroy();
    await feeding;
  }
  throw new ChartFormatError('the archive has no <chart>/Chart.yaml: not a chart');
}

async function feed(
  archive: Uint8Array | AsyncIterable<Uint8Array>,
  tar: Extract,
  limits: ChartArchiveLimits,
  signal: AbortSignal,
): Promise<void> {
  const source =
    archive instanceof Uint8Array ? Readable.from([Buffer.from(archive)]) : Readable.from(archive);
  await pipeline(
    source,
    createGunzip(),
    async (inflated: AsyncIterable<Buffer>) => {
      let total = 0;
      for await (const chunk of inflated) {
        total += chunk.length;
        if (total > limits.maxUnpackedBytes)
          throw new ChartFormatError(
            `the archive unpacks to more than ${limits.maxUnpackedBytes} bytes before Chart.yaml`,
          );
        if (!tar.write(chunk)) await drained(tar);
        if (tar.destroyed) return;
      }
      (tar as unknown as { end(): void }).end();
    },
    { signal },
  );
}

function drained(tar: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      tar.off('drain', done);
      tar.off('close', done);
      resolve();
    };
    tar.on('drain', done);
    tar.on('close', done);
  });
}

function unsafePathReason(name: string): string | undefined {
  if (name.startsWith('/') || /^[a-zA-Z]:/.test(name)) return 'is an absolute path';
  if (name.includes('\\')) return 'contains a backslash';
  if (name.split('/').includes('..')) return 'steps outside the chart with ".."';
  if (name.includes('\0')) return 'contains NUL';
  return undefined;
}

function asFormatError(error: unknown): Error {
  if (error instanceof ChartFormatError) return error;
  const code = (error as { code?: string }).code ?? '';
  if (code.startsWith('Z_') || code === 'ERR_ZLIB_INITIALIZATION_FAILED')
    return new ChartFormatError(`the archive is not valid gzip (${code})`);
  const message = error instanceof Error ? error.message : String(error);
  return new ChartFormatError(`the archive is not a readable tar: ${message}`);
}
