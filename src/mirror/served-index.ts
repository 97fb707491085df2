import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { brotliCompress, constants, createGunzip, gzip } from 'node:zlib';
import { chartFileName, chartPath } from '../helm/chart-url.ts';
import type { ChartVersion, HelmIndex } from '../helm/index-parse.ts';
import type { Digest } from '../store/store.ts';

const gzipAsync = promisify(gzip);
const brotliAsync = promisify(brotliCompress);

/** Where a served chart file comes from and what its bytes must hash to. */
export interface ChartSource {
  url: string;
  /** Absent for an entry published without one and not pinned yet (`unverified: pin`). */
  digest?: Digest;
  /** Position of the upstream whose index listed it. */
  upstream: number;
  name: string;
  version: string;
}

/**
 * A repository index as Ballast serves it: JSON (every Helm reads JSON as YAML) with chart
 * URLs rewritten to this mirror, kept in memory only compressed, and a lookup from served
 * file name to upstream source. Helm always asks for gzip; the rare client that does not
 * gets the JSON inflated as it is sent (`identityStream`), so memory holds about a tenth of
 * the index instead of all of it.
 */
export interface ServedIndex {
  gzip: Buffer;
  brotli: Buffer;
  /** Length of the uncompressed JSON. */
  bytes: number;
  /** Strong validator of the uncompressed JSON. */
  etag: string;
  versions: number;
  charts: ReadonlyMap<string, ChartSource>;
}

/** `index` must carry absolute upstream chart URLs (or none: Helm lists such entries too). */
export async function buildServedIndex(
  index: HelmIndex,
  upstreamOf: (entry: ChartVersion) => number = () => 0,
): Promise<ServedIndex> {
  const charts = new Map<string, ChartSource>();
  const entries: Record<string, ChartVersion[]> = Object.create(null);
  let versions = 0;
  for (const [chart, list] of Object.entries(index.entries)) {
    entries[chart] = list.map((entry) => {
      const file = chartFileName(entry.name, entry.version);
      const url = entry.urls[0];
      if (!charts.has(file) && url !== undefined) {
        charts.set(file, {
          url,
          ...(entry.digest === undefined ? {} : { digest: `sha256:${entry.digest.toLowerCase()}` }),
          upstream: upstreamOf(entry),
          name: entry.name,
          version: entry.version,
        });
      }
      versions += 1;
      return { ...entry, urls: url === undefined ? [] : [chartPath(file)] };
    });
  }
  const body = Buffer.from(JSON.stringify({ ...index, entries }));
  const [gzipped, brotli] = await Promise.all([
    gzipAsync(body, { level: 6 }),
    brotliAsync(body, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 5,
        [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
      },
    }),
  ]);
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 40)}"`;
  return { gzip: gzipped, brotli, bytes: body.length, etag, versions, charts };
}

/** The uncompressed JSON of a served index, inflated while it is read. */
export function identityStream(index: ServedIndex): Readable {
  const inflate = createGunzip();
  inflate.end(index.gzip);
  return inflate;
}
