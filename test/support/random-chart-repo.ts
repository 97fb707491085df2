import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import yaml from 'js-yaml';

export interface RandomChart {
  name: string;
  version: string;
  /** `name-version.tgz`, as the index's relative URL names it. */
  file: string;
  /** Hex sha256 of the file, as the index's `digest` says. */
  digest: string;
  size: number;
}

export interface RandomChartRepo {
  dir: string;
  indexPath: string;
  charts: RandomChart[];
}

export interface RandomChartRepoOptions {
  /** Chart names. */
  names: number;
  /** Versions per name. */
  versions: number;
  /** Sizes of the archives, spread between these (bytes). */
  minBytes: number;
  maxBytes: number;
  /** Same seed, same bytes. */
  seed: string;
}

/**
 * A classic repository folder of many "charts" whose archives are pseudo-random bytes with
 * their true sha256 in `index.yaml` (relative URLs, the layout `helm repo index` writes).
 * Ballast verifies digests, not archive contents, so these exercise pull-through, retries and
 * verification cheaply; they are not installable charts.
 */
export async function writeRandomChartRepo(
  dir: string,
  options: RandomChartRepoOptions,
): Promise<RandomChartRepo> {
  await mkdir(dir, { recursive: true });
  const charts: RandomChart[] = [];
  const entries: Record<string, unknown[]> = {};
  const created = '2025-01-01T00:00:00Z';
  for (let n = 0; n < options.names; n++) {
    const name = `chaos-${String(n).padStart(3, '0')}`;
    const list: unknown[] = [];
    for (let v = options.versions; v >= 1; v--) {
      const version = `1.${v}.0`;
      const file = `${name}-${version}.tgz`;
      const seed = `${options.seed}:${file}`;
      const span = options.maxBytes - options.minBytes;
      const size = options.minBytes + (span > 0 ? seedNumber(seed) % (span + 1) : 0);
      const bytes = pseudoRandom(size, seed);
      const digest = createHash('sha256').update(bytes).digest('hex');
      await writeFile(join(dir, file), bytes);
      charts.push({ name, version, file, digest, size });
      list.push({
        apiVersion: 'v2',
        appVersion: version,
        created,
        description: `Random bytes standing in for chart ${name}`,
        digest,
        name,
        type: 'application',
        urls: [file],
        version,
      });
    }
    entries[name] = list;
  }
  const indexPath = join(dir, 'index.yaml');
  await writeFile(indexPath, yaml.dump({ apiVersion: 'v1', entries, generated: created }));
  return { dir, indexPath, charts };
}

function seedNumber(seed: string): number {
  return createHash('sha256').update(seed).digest().readUInt32BE(0);
}

function pseudoRandom(length: number, seed: string): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0, block = 0; offset < length; offset += 32, block++) {
    createHash('sha256').update(`${seed}#${block}`).digest().copy(out, offset);
  }
  return out;
}
