import type { ChartVersion, HelmIndex } from '../../helm/index-parse.ts';
import type { ChartRepo } from '../../mirror/chart-repo.ts';
import { identityOf, type ServedIndex } from '../../mirror/served-index.ts';
import type { Store } from '../../store/store.ts';

export interface CatalogVersion {
  version: string;
  appVersion: string | null;
  digest: string | null;
  created: string | null;
}

export interface ChartMatch {
  repo: string;
  chart: string;
  latest: string;
  versions: number;
}

export interface ChartCatalog {
  /** Charts whose name contains `query` (case-insensitive), exact names first. */
  search(query: string, limit: number): Promise<ChartMatch[]>;
  versions(repo: string, chart: string): Promise<CatalogVersion[] | undefined>;
}

type RepoCatalog = Map<string, CatalogVersion[]>;

/**
 * What the chart browser shows, read from the served index only when someone browses, and
 * kept per served index: a new index makes a new catalog, the old one goes with it.
 */
export function createChartCatalog(
  mirrors: ReadonlyMap<string, ChartRepo>,
  store: Store,
): ChartCatalog {
  const built = new WeakMap<ServedIndex, Promise<RepoCatalog>>();

  async function catalogOf(mirror: ChartRepo): Promise<RepoCatalog | undefined> {
    let index: ServedIndex;
    try {
      index = (await mirror.index()).index;
    } catch {
      return undefined; // no index yet: nothing to browse in this repository
    }
    let catalog = built.get(index);
    if (!catalog) {
      catalog = buildCatalog(index, store);
      built.set(index, catalog);
    }
    return catalog;
  }

  return {
    async search(query, limit) {
      const needle = query.trim().toLowerCase();
      if (needle === '') return [];
      const matches: ChartMatch[] = [];
      for (const mirror of mirrors.values()) {
        const catalog = await catalogOf(mirror);
        if (!catalog) continue;
        for (const [chart, versions] of catalog) {
          if (!chart.toLowerCase().includes(needle)) continue;
          matches.push({
            repo: mirror.name,
            chart,
            latest: versions[0]?.version ?? '',
            versions: versions.length,
          });
        }
      }
      const exact = (m: ChartMatch) => (m.chart.toLowerCase() === needle ? 0 : 1);
      return matches
        .sort((a, b) => exact(a) - exact(b) || a.chart.localeCompare(b.chart))
        .slice(0, limit);
    },
    async versions(repo, chart) {
      const mirror = mirrors.get(repo);
      if (!mirror) return undefined;
      return (await catalogOf(mirror))?.get(chart);
    },
  };
}

async function buildCatalog(index: ServedIndex, store: Store): Promise<RepoCatalog> {
  const body = identityOf(index);
  const stored = Buffer.isBuffer(body) ? undefined : await store.openDocument(body.key);
  const json = Buffer.isBuffer(body) ? body : Buffer.concat(stored ? await stored.toArray() : []);
  const { entries } = JSON.parse(json.toString('utf8')) as HelmIndex;
  const catalog: RepoCatalog = new Map();
  for (const [chart, list] of Object.entries(entries)) {
    catalog.set(chart, list.map(versionOf));
  }
  return catalog;
}

function versionOf(entry: ChartVersion): CatalogVersion {
  const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : null);
  return {
    version: entry.version,
    appVersion: text(entry.appVersion),
    digest: text(entry.digest),
    created: text(entry.created),
  };
}
