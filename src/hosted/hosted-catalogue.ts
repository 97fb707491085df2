import { chartFileName } from '../helm/chart-url.ts';
import { newestFirst } from '../helm/chart-version.ts';
import { type Digest, isDigest } from '../store/store.ts';
import type { HostedVersion } from './hosted-writes.ts';

/**
 * A hosted repository's catalogue: every uploaded version, by chart name, newest first. It is
 * one document in the store, written with a condition so that replicas never lose each
 * other's uploads; each chart's part is serialised on its own and kept, so an upload
 * re-serialises one chart, not ten thousand.
 */
export interface HostedCatalogue {
  /** Chart name → its versions (newest first) and their serialised form. */
  readonly charts: ReadonlyMap<string, CatalogueChart>;
  /** The chart names sorted, when known (kept across a change that adds or removes none). */
  readonly names?: readonly string[];
}

const sorted = new WeakMap<HostedCatalogue, readonly string[]>();

/** The chart names in order, sorted once per set of names. */
export function sortedNames(catalogue: HostedCatalogue): readonly string[] {
  let names = catalogue.names ?? sorted.get(catalogue);
  if (!names) {
    names = [...catalogue.charts.keys()].sort();
    sorted.set(catalogue, names);
  }
  return names;
}

export interface CatalogueChart {
  readonly versions: readonly HostedVersion[];
  /** `"name":[…]` as the catalogue document holds it, encoded once. */
  readonly bytes: Buffer;
}

const format = 'ballast-hosted-catalogue/1';
const opening = Buffer.from(`{"format":${JSON.stringify(format)},"charts":{`);
const comma = Buffer.from(',');
const closing = Buffer.from('}}');

export const emptyCatalogue: HostedCatalogue = Object.freeze({ charts: new Map() });

export function catalogueChart(name: string, versions: readonly HostedVersion[]): CatalogueChart {
  const sorted = [...versions].sort((a, b) => newestFirst(a.version, b.version));
  const json = `${JSON.stringify(name)}:${JSON.stringify(sorted)}`;
  return { versions: sorted, bytes: Buffer.from(json) };
}

/** The catalogue with one chart's versions replaced (none: the chart is gone). */
export function withChart(
  catalogue: HostedCatalogue,
  name: string,
  versions: readonly HostedVersion[],
): HostedCatalogue {
  const charts = new Map(catalogue.charts);
  const had = charts.has(name);
  if (versions.length === 0) charts.delete(name);
  else charts.set(name, catalogueChart(name, versions));
  // Same names as before: the sorted list carries over.
  return had && versions.length > 0 ? { charts, names: sortedNames(catalogue) } : { charts };
}

export function serializeCatalogue(catalogue: HostedCatalogue): Buffer {
  // Copies of each chart's bytes, no re-encoding: an upload costs one chart's serialisation.
  const parts: Buffer[] = [opening];
  sortedNames(catalogue).forEach((name, i) => {
    if (i > 0) parts.push(comma);
    parts.push((catalogue.charts.get(name) as CatalogueChart).bytes);
  });
  parts.push(closing);
  return Buffer.concat(parts);
}

/** Reads a catalogue document; throws an Error naming what is wrong with it. */
export function parseCatalogue(bytes: Buffer): HostedCatalogue {
  const raw = JSON.parse(bytes.toString('utf8')) as { format?: unknown; charts?: unknown };
  if (raw.format !== format)
    throw new Error(`not a hosted catalogue of this version (format ${String(raw.format)})`);
  if (typeof raw.charts !== 'object' || raw.charts === null)
    throw new Error('the catalogue has no charts');
  const charts = new Map<string, CatalogueChart>();
  for (const [name, list] of Object.entries(raw.charts as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new Error(`chart ${name} has no version list`);
    charts.set(
      name,
      catalogueChart(
        name,
        list.map((v) => checkedVersion(name, v)),
      ),
    );
  }
  return { charts };
}

function checkedVersion(name: string, value: unknown): HostedVersion {
  const v = value as Partial<HostedVersion>;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    v.name === name &&
    typeof v.version === 'string' &&
    typeof v.digest === 'string' &&
    isDigest(v.digest) &&
    typeof v.size === 'number' &&
    typeof v.created === 'string' &&
    typeof v.metadata === 'object' &&
    (v.provenance === undefined || isDigest(v.provenance)) &&
    (v.manifest === undefined || isDigest(v.manifest.digest));
  if (!ok) throw new Error(`chart ${name} has a malformed version entry`);
  return v as HostedVersion;
}

/** Every blob the catalogue keeps: charts, provenance files, pushed manifests. */
export function catalogueBlobs(catalogue: HostedCatalogue): Digest[] {
  const digests: Digest[] = [];
  for (const { versions } of catalogue.charts.values()) {
    for (const v of versions) {
      digests.push(v.digest);
      if (v.provenance) digests.push(v.provenance);
      if (v.manifest) digests.push(v.manifest.digest);
    }
  }
  return digests;
}

/** One version by name and version, or by the file name the index lists it under. */
export function findVersion(
  catalogue: HostedCatalogue,
  name: string,
  version: string,
): HostedVersion | undefined {
  return catalogue.charts.get(name)?.versions.find((v) => v.version === version);
}

/** File name (`name-version.tgz`) → version, for the chart routes. */
export function filesOf(catalogue: HostedCatalogue): Map<string, HostedVersion> {
  const files = new Map<string, HostedVersion>();
  for (const { versions } of catalogue.charts.values())
    for (const v of versions) files.set(chartFileName(v.name, v.version), v);
  return files;
}
