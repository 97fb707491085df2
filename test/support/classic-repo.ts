import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { load } from 'js-yaml';
import { createHelm, type HelmMajor } from './helm.ts';

/** The fixture charts in test/fixtures/charts: demo-app, demo-config, demo-lib (a library). */
export const fixtureChartsDir = fileURLToPath(new URL('../fixtures/charts/', import.meta.url));

export interface RepoChartSpec {
  /** A folder name under test/fixtures/charts. */
  chart: string;
  versions: readonly string[];
  /** Defaults to each version. */
  appVersion?: string;
}

export interface PackagedChart {
  name: string;
  version: string;
  /** The archive's path on disk. */
  path: string;
  /** `urls[0]` as `helm repo index` wrote it. */
  url: string;
  /** Hex sha256 of the archive, as `helm repo index` wrote it. */
  digest: string;
}

export interface ClassicRepo {
  dir: string;
  indexPath: string;
  /** Every entry of the written index.yaml (earlier archives in `dir` included). */
  charts: PackagedChart[];
}

/**
 * Packages fixture charts at the given versions with real `helm package` into `dir`, then
 * indexes every archive in `dir` with real `helm repo index` (`--url baseUrl` if given).
 * Call it again on the same dir to publish more versions.
 */
export async function buildClassicRepo(
  dir: string,
  options: { charts: readonly RepoChartSpec[]; baseUrl?: string; helm?: HelmMajor },
): Promise<ClassicRepo> {
  await mkdir(dir, { recursive: true });
  await using helm = await createHelm(options.helm ?? 4);
  const jobs = options.charts.flatMap((spec) =>
    spec.versions.map((version) => [
      ...['package', join(fixtureChartsDir, spec.chart), '--destination', dir],
      ...['--version', version, '--app-version', spec.appVersion ?? version],
    ]),
  );
  // A few at a time: the machines have two cores.
  await Promise.all(
    [1, 2, 3].map(async () => {
      for (let args = jobs.shift(); args; args = jobs.shift()) await helm.run(args);
    }),
  );
  const urlArgs = options.baseUrl ? ['--url', options.baseUrl] : [];
  await helm.run(['repo', 'index', dir, ...urlArgs]);

  const indexPath = join(dir, 'index.yaml');
  const index = load(await readFile(indexPath, 'utf8')) as {
    entries: Record<string, { name: string; version: string; urls: string[]; digest: string }[]>;
  };
  const charts = Object.values(index.entries).flatMap((versions) =>
    versions.map(({ name, version, urls, digest }) => ({
      name,
      version,
      path: join(dir, `${name}-${version}.tgz`),
      url: urls[0] ?? '',
      digest,
    })),
  );
  return { dir, indexPath, charts };
}

export interface SyntheticIndexOptions {
  /** How many chart names. */
  charts: number;
  /** How many versions in all, spread evenly over the names. */
  versions: number;
  /** Absolute chart URLs under this base; relative file names otherwise. */
  baseUrl?: string;
  /** The `created` and `generated` timestamp; fixed by default so output is reproducible. */
  created?: string;
}

/**
 * A large index.yaml in the layout `helm repo index` writes (keys sorted, versions newest
 * first, 64-hex digests), with no archives behind it: for size, memory and benchmark tests.
 * Yields it in pieces so huge indexes never need one string.
 */
export function* syntheticIndexChunks(options: SyntheticIndexOptions): Generator<string> {
  const created = options.created ?? '2025-01-01T00:00:00Z';
  const base = options.baseUrl ? `${options.baseUrl.replace(/\/+$/, '')}/` : '';
  const width = String(options.charts).length;
  yield 'apiVersion: v1\nentries:\n';
  for (let c = 0; c < options.charts; c++) {
    const name = `synthetic-${String(c).padStart(width, '0')}`;
    const count =
      Math.floor(options.versions / options.charts) +
      (c < options.versions % options.charts ? 1 : 0);
    if (count === 0) continue;
    const lines = [`  ${name}:\n`];
    // From `count` down to 1: `helm search repo` leaves 0.0.0 out.
    for (let k = count; k >= 1; k--) {
      const version = `${Math.floor(k / 10_000)}.${Math.floor(k / 100) % 100}.${k % 100}`;
      const digest = createHash('sha256').update(`${name}-${version}`).digest('hex');
      lines.push(
        `  - apiVersion: v2\n    appVersion: ${version}\n    created: "${created}"\n`,
        `    description: Synthetic chart ${name} for size and memory tests\n`,
        `    digest: ${digest}\n    home: https://example.com/${name}\n`,
        `    icon: https://example.com/${name}.png\n    keywords:\n    - synthetic\n    - ballast\n`,
        '    maintainers:\n    - email: tests@example.com\n      name: Ballast tests\n',
        `    name: ${name}\n    sources:\n    - https://example.com/src/${name}\n`,
        `    type: application\n    urls:\n    - ${base}${name}-${version}.tgz\n`,
        `    version: ${version}\n`,
      );
    }
    yield lines.join('');
  }
  yield `generated: "${created}"\n`;
}

export function syntheticIndex(options: SyntheticIndexOptions): string {
  return [...syntheticIndexChunks(options)].join('');
}

export async function writeSyntheticIndex(file: string, options: SyntheticIndexOptions) {
  await pipeline(Readable.from(syntheticIndexChunks(options)), createWriteStream(file));
}
