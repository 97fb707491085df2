import { createHash } from 'node:crypto';
import { open, writeFile } from 'node:fs/promises';
import { chartFileName, chartPath } from '../helm/chart-url.ts';
import type { ChartVersion, HelmIndex } from '../helm/index-parse.ts';
import type { Digest } from '../store/store.ts';

/** Where a served chart file comes from and what its bytes must hash to. */
export interface ChartSource {
  url: string;
  /** Absent for an entry published without one and not pinned yet (`unverified: pin`). */
  digest?: Digest;
  /** Position of the upstream whose index listed it. */
  upstream: number;
  name: string;
  version: string;
  /** A hosted version's provenance file (a blob): the OCI face lists it as a layer. */
  provenance?: Digest;
}

/** Byte offsets (start inclusive, end exclusive) of one chart's version list in the body. */
export type EntrySpan = readonly [start: number, end: number];

/** What a served index is known by, however its body is kept. */
interface ServedContents {
  /** Length of the identity (JSON) body. */
  bytes: number;
  versions: number;
  charts: ReadonlyMap<string, ChartSource>;
  /** Each chart's version list in the body, so a view reads only the charts it names. */
  spans: ReadonlyMap<string, EntrySpan>;
  /** The index's top-level fields other than `entries`. */
  head: Omit<HelmIndex, 'entries'>;
}

type ChartRow = [
  file: string,
  url: string,
  /** null for an entry published without a digest and not pinned yet. */
  digest: Digest | null,
  upstream: number,
  name: string,
  version: string,
];

/**
 * Everything a start needs besides the body, as one JSON document: a build writes it where
 * it parsed the index, and a start or the server reads it with one JSON.parse (no YAML, and
 * no large message between processes).
 */
interface ServedTable {
  versions: number;
  head: ServedContents['head'];
  spans: [chart: string, start: number, end: number][];
  charts: ChartRow[];
}

/** The served index as a build writes it: the body and its table in temporary files. */
export interface BuiltServedIndex {
  /** The JSON body; the caller stores it and removes it. */
  file: string;
  digest: Digest;
  bytes: number;
  /** The table (`readServedTable`), next to it. */
  tableFile: string;
  versions: number;
}

/** What a served index is besides its chart table, which `servedIndexOf` adds. */
export type ServedIndexFields = Omit<StoredServedIndex, 'charts' | 'spans' | 'head' | 'tableRead'>;

/**
 * A served index whose chart table (an 18 MB document of 100,000 rows for the largest
 * indexes, a second of parsing) is parsed when first used, not before the first index is
 * served: `charts`, `spans` and `head` parse it on first access, and the JSON is dropped.
 * Given a promise (a start reading the table from the store behind the first serve), the
 * table is readable once `tableRead` says so.
 */
export function servedIndexOf(
  fields: ServedIndexFields,
  tableJson: Buffer | Promise<Buffer | undefined>,
): StoredServedIndex {
  let json: Buffer | undefined;
  let parsed: Pick<ServedContents, 'charts' | 'spans' | 'head'> | undefined;
  const table = () => {
    if (!parsed) {
      if (!json) throw new Error(`the chart table ${fields.identity.key} is not read`);
      const raw = JSON.parse(json.toString()) as ServedTable;
      json = undefined;
      parsed = {
        head: raw.head,
        spans: new Map(raw.spans.map(([chart, start, end]) => [chart, [start, end] as const])),
        charts: new Map(
          raw.charts.map(([file, url, digest, upstream, name, version]) => [
            file,
            { url, ...(digest === null ? {} : { digest }), upstream, name, version },
          ]),
        ),
      };
    }
    return parsed;
  };
  const tableRead = Buffer.isBuffer(tableJson)
    ? undefined
    : tableJson.then(
        (bytes) => {
          json = bytes;
          return bytes !== undefined;
        },
        () => false,
      );
  if (Buffer.isBuffer(tableJson)) json = tableJson;
  return Object.defineProperties(fields, {
    charts: { get: () => table().charts, enumerable: true },
    spans: { get: () => table().spans, enumerable: true },
    head: { get: () => table().head, enumerable: true },
    ...(tableRead ? { tableRead: { value: tableRead, enumerable: false } } : {}),
  }) as StoredServedIndex;
}

/** A body kept in the store as a document of the repository's own (so never shared). */
export interface StoredBody {
  key: string;
  digest: Digest;
  size: number;
}

/** The precompressed forms, with the documents they are stored as. */
export interface CompressedForms {
  gzip: Buffer;
  brotli: Buffer;
  stored: { gzip: StoredBody; brotli: StoredBody };
}

/**
 * A repository index as Ballast serves it: JSON (every Helm reads JSON as YAML) with chart
 * URLs rewritten to this mirror. Helm sends no Accept-Encoding, so the identity body is the
 * one that matters: it is a document in the store, held in memory when small and otherwise
 * streamed as it is (from the page cache on the fs store), with no per-request work. The
 * gzip and brotli forms, small, are kept in memory once compressed; until then every client
 * gets the identity body.
 */
export interface ServedIndex extends ServedContents {
  /**
   * The identity body as a document in the store; absent for an index kept in memory only
   * (a hosted repository renders its index from its catalogue), which then has `body`.
   */
  identity?: StoredBody;
  /** The identity body itself, for an index small enough to hold (see `smallIndexBytes`). */
  body?: Buffer;
  /** Strong validator of the identity body. */
  etag: string;
  compressed?: CompressedForms;
  /**
   * While the chart table is still being read from the store: true once `charts`, `spans`
   * and `head` can be used, false when it is missing or fails its digest.
   */
  readonly tableRead?: Promise<boolean>;
}

/** A served index whose body and table are documents in the store: what a mirror builds. */
export interface StoredServedIndex extends ServedIndex {
  identity: StoredBody;
  /** The table document next to the body. */
  table: StoredBody;
}

/** The identity body of a served index: in memory, or the document to stream it from. */
export function identityOf(index: ServedIndex): Buffer | StoredBody {
  const body = index.body ?? index.identity;
  if (!body) throw new Error('a served index has neither a body nor a stored identity');
  return body;
}

/**
 * Up to this size (about 14,000 versions) an index is held in memory whole and compressed
 * before it is served: one shared Buffer written to every socket costs a seventh of the CPU
 * of streaming it from the store, and 6 MB for a 10,000-version index. Larger ones stream.
 */
export const smallIndexBytes = 8 * 1024 * 1024;

export function etagOf(digest: Digest): string {
  return `"${digest.slice('sha256:'.length, 'sha256:'.length + 40)}"`;
}

/** The served JSON up to the first entry: the top-level fields, then `"entries":{`. */
export function entriesOpening(head: ServedContents['head']): string {
  const fields = JSON.stringify(head);
  return `${fields.length > 2 ? `${fields.slice(0, -1)},` : '{'}"entries":{`;
}

/**
 * Writes the served JSON of `index` to `file`, one chart at a time, noting where each chart's
 * version list lies. `index` must carry absolute upstream chart URLs (or none: Helm lists such
 * entries too); an entry without a digest is served and pinned on its first download.
 */
export async function writeServedIndex(
  index: HelmIndex,
  file: string,
  upstreamOf: (entry: ChartVersion) => number = () => 0,
): Promise<BuiltServedIndex> {
  const charts = new Map<string, ChartRow>();
  const spans: ServedTable['spans'] = [];
  const { entries, ...head } = index;
  const hash = createHash('sha256');
  const handle = await open(file, 'wx');
  let bytes = 0;
  let versions = 0;
  const pending: Buffer[] = [];
  let pendingBytes = 0;
  const write = async (text: string) => {
    const chunk = Buffer.from(text);
    hash.update(chunk);
    bytes += chunk.length;
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= 1 << 20) await flush();
  };
  const flush = async () => {
    await handle.writev(pending.splice(0));
    pendingBytes = 0;
  };
  try {
    await write(entriesOpening(head));
    let first = true;
    for (const [chart, list] of Object.entries(entries)) {
      const served = list.map((entry) => {
        const name = chartFileName(entry.name, entry.version);
        const url = entry.urls[0];
        if (!charts.has(name) && url !== undefined) {
          const digest: Digest | null =
            entry.digest === undefined ? null : `sha256:${entry.digest.toLowerCase()}`;
          charts.set(name, [name, url, digest, upstreamOf(entry), entry.name, entry.version]);
        }
        return { ...entry, urls: url === undefined ? [] : [chartPath(name)] };
      });
      versions += served.length;
      await write(`${first ? '' : ','}${JSON.stringify(chart)}:`);
      const start = bytes;
      await write(JSON.stringify(served));
      spans.push([chart, start, bytes]);
      first = false;
    }
    await write('}}');
    await flush();
  } finally {
    await handle.close();
  }
  const tableFile = `${file}.table`;
  const table: ServedTable = { versions, head, spans, charts: [...charts.values()] };
  await writeFile(tableFile, JSON.stringify(table), { flag: 'wx' });
  return { file, digest: `sha256:${hash.digest('hex')}`, bytes, tableFile, versions };
}
