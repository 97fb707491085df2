import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { syntheticIndex } from '../test/support/classic-repo.ts';
import { buildChartArchive } from './chart-archive.ts';

export interface BenchRepoOptions {
  /** Chart versions in the index, in all. */
  versions: number;
  /** Chart names they are spread over. */
  charts: number;
  /** Size to aim for with the one real chart archive. */
  chartBytes: number;
}

export interface BenchRepo {
  dir: string;
  versions: number;
  /** Size of index.yaml, and of the index.yaml.gz next to it (for nginx's gzip_static). */
  indexBytes: number;
  indexGzipBytes: number;
  /** The one archive that really exists; the index names it with its real digest. */
  chartFile: string;
  chartBytes: number;
  chartDigest: string;
}

/**
 * A classic repository folder: an index.yaml of `versions` entries in the layout
 * `helm repo index` writes (relative chart URLs), a precompressed index.yaml.gz, and one
 * real chart archive whose entry in the index carries its true sha256, so Ballast pulls it
 * through and verifies it like any chart.
 */
export async function writeBenchRepo(dir: string, options: BenchRepoOptions): Promise<BenchRepo> {
  const text = syntheticIndex({ charts: options.charts, versions: options.versions });
  // The synthetic index names its first chart `synthetic-<zeros>` and lists its newest version
  // first; that entry gets the real archive. Its placeholder digest is sha256 of "name-version".
  const first = /^ {2}(synthetic-\d+):\n {2}- [\s\S]*?\n {4}version: (\S+)\n/m.exec(text);
  if (!first?.[1] || !first[2]) throw new Error('synthetic index has no first entry');
  const [name, version] = [first[1], first[2]];
  const placeholder = createHash('sha256').update(`${name}-${version}`).digest('hex');
  if (text.split(placeholder).length !== 2) {
    throw new Error(`digest placeholder of ${name}-${version} is not unique in the index`);
  }

  const archive = buildChartArchive({ name, version, targetBytes: options.chartBytes });
  const chartDigest = createHash('sha256').update(archive).digest('hex');
  const chartFile = `${name}-${version}.tgz`;
  const index = Buffer.from(text.replace(placeholder, chartDigest));
  // What a publisher who precompresses would ship: the best gzip level, made once.
  const indexGzip = gzipSync(index, { level: 9 });

  await writeFile(join(dir, chartFile), archive);
  await writeFile(join(dir, 'index.yaml'), index);
  await writeFile(join(dir, 'index.yaml.gz'), indexGzip);
  return {
    dir,
    versions: options.versions,
    indexBytes: index.length,
    indexGzipBytes: indexGzip.length,
    chartFile,
    chartBytes: archive.length,
    chartDigest,
  };
}
