import semver from 'semver';
import { BallastError } from '../errors/ballast-error.ts';
import type { ChartVersion } from '../helm/index-parse.ts';
import type { Store } from '../store/store.ts';
import { type EntrySpan, entriesOpening, identityOf, type ServedIndex } from './served-index.ts';

/** Which part of an index a view keeps; an absent field keeps everything on that axis. */
export interface ViewSpec {
  /** Chart names; charts the index does not have are simply absent from the view. */
  charts?: readonly string[];
  /** A semver range each kept version must satisfy (`>=1.0.0 <2`, `^1.2`, `1.x`). */
  versions?: string;
  /** Per chart, only this many of the newest versions (after `versions`). */
  latest?: number;
}

const maxCharts = 200;
const maxLatest = 10_000;
const viewParameters = ['charts', 'versions', 'latest'];

const invalid = (reason: string) => new BallastError('BALLAST_VIEW_INVALID', { reason });

/**
 * A view from a query string (`?charts=redis,postgresql&versions=>=1.0.0 <2&latest=3`), or
 * undefined for none. Helm writes commas between constraints where semver writes spaces.
 */
export function viewFromQuery(query: Record<string, unknown>): ViewSpec | undefined {
  const names = Object.keys(query);
  if (names.length === 0) return undefined;
  const unknown = names.find((name) => !viewParameters.includes(name));
  if (unknown)
    throw invalid(`unknown parameter "${unknown}"; expected ${viewParameters.join(', ')}`);
  const single = (name: string): string | undefined => {
    const value = query[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string') throw invalid(`"${name}" is given more than once`);
    return value;
  };
  const charts = single('charts');
  const versions = single('versions');
  const latest = single('latest');
  return checkView({
    ...(charts !== undefined ? { charts: charts.split(',').map((c) => c.trim()) } : {}),
    ...(versions !== undefined ? { versions } : {}),
    ...(latest !== undefined ? { latest: /^\d+$/.test(latest) ? Number(latest) : Number.NaN } : {}),
  });
}

/** Checks a view (from a query or the config) and gives it in a canonical form. */
export function checkView(view: ViewSpec): ViewSpec {
  const { charts, versions, latest } = view;
  if (charts !== undefined) {
    if (charts.length === 0 || charts.some((c) => c === '' || c.length > 250))
      throw invalid('"charts" must be a comma-separated list of chart names');
    if (charts.length > maxCharts) throw invalid(`"charts" names more than ${maxCharts} charts`);
  }
  const range = versions === undefined ? undefined : versionRange(versions);
  if (latest !== undefined && !(Number.isInteger(latest) && latest >= 1 && latest <= maxLatest))
    throw invalid(`"latest" must be a whole number from 1 to ${maxLatest}`);
  return {
    ...(charts ? { charts: [...new Set(charts)].sort() } : {}),
    ...(range !== undefined ? { versions: range } : {}),
    ...(latest !== undefined ? { latest } : {}),
  };
}

function versionRange(text: string): string {
  const range = semver.validRange(text.replaceAll(',', ' '));
  if (text.trim() === '' || range === null)
    throw invalid(`"versions" is not a semver range: "${text}" (e.g. >=1.0.0 <2, ^1.2, 1.x)`);
  return range;
}

/** A key that is the same for the same view, whatever order its query came in. */
export function viewKey(view: ViewSpec): string {
  return JSON.stringify([view.charts ?? null, view.versions ?? null, view.latest ?? null]);
}

/**
 * The JSON body of a view of the served index: the same top-level fields and the same entries
 * (chart URLs included, so they resolve exactly as in the full index), fewer of them. Only the
 * charts it names are read, at the offsets the build noted.
 */
export async function renderView(
  index: ServedIndex,
  view: ViewSpec,
  store: Store,
): Promise<Buffer> {
  const names = view.charts ?? [...index.spans.keys()];
  const wanted = names.flatMap((name) => {
    const span = index.spans.get(name);
    return span ? [{ name, span }] : [];
  });
  const lists = await readSpans(index, wanted, store);
  const parts = [entriesOpening(index.head)];
  let first = true;
  for (const { name } of wanted) {
    const raw = lists.get(name) as Buffer;
    const filtered =
      view.versions === undefined && view.latest === undefined
        ? raw.toString()
        : keptVersions(JSON.parse(raw.toString()) as ChartVersion[], view);
    if (filtered === undefined) continue;
    parts.push(`${first ? '' : ','}${JSON.stringify(name)}:${filtered}`);
    first = false;
  }
  parts.push('}}');
  return Buffer.from(parts.join(''));
}

function keptVersions(list: ChartVersion[], view: ViewSpec): string | undefined {
  let kept = list.flatMap((entry) => {
    const version = semver.parse(entry.version, { loose: true }) ?? semver.coerce(entry.version);
    return version ? [{ entry, version }] : [];
  });
  const { versions: range, latest } = view;
  if (range !== undefined) kept = kept.filter((k) => semver.satisfies(k.version, range));
  if (latest !== undefined)
    kept = kept.sort((a, b) => semver.rcompare(a.version, b.version)).slice(0, latest);
  return kept.length === 0 ? undefined : JSON.stringify(kept.map((k) => k.entry));
}

/** The bytes of each wanted chart's version list: from memory, or one pass over the stored body. */
async function readSpans(
  index: ServedIndex,
  wanted: { name: string; span: EntrySpan }[],
  store: Store,
): Promise<Map<string, Buffer>> {
  const body = identityOf(index);
  if (Buffer.isBuffer(body))
    return new Map(wanted.map(({ name, span }) => [name, body.subarray(span[0], span[1])]));
  const parts = new Map<string, Buffer[]>(wanted.map(({ name }) => [name, []]));
  const last = Math.max(0, ...wanted.map(({ span }) => span[1]));
  const stream = await store.openDocument(body.key);
  if (!stream) throw new Error(`the served index ${body.key} is gone`);
  let offset = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const end = offset + chunk.length;
    for (const { name, span } of wanted) {
      if (span[1] <= offset || span[0] >= end) continue;
      parts
        .get(name)
        ?.push(
          chunk.subarray(Math.max(span[0] - offset, 0), Math.min(span[1] - offset, chunk.length)),
        );
    }
    offset = end;
    if (offset >= last) break;
  }
  stream.destroy();
  return new Map([...parts].map(([name, chunks]) => [name, Buffer.concat(chunks)]));
}
