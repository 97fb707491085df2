import { createHash } from 'node:crypto';
import { chartFileName, chartPath } from '../helm/chart-url.ts';
import type { ChartSource, EntrySpan, ServedIndex } from '../mirror/served-index.ts';
import { entriesOpening, etagOf } from '../mirror/served-index.ts';
import type { CatalogueChart, HostedCatalogue } from './hosted-catalogue.ts';
import type { HostedVersion } from './hosted-writes.ts';

/** Where a hosted chart's bytes are: no upstream. */
export const hostedPosition = -1;

/** One chart's part of the served index: `"name":` and its version list, rendered once. */
interface RenderedChart {
  key: Buffer;
  list: Buffer;
}

/** The index entry Helm reads for an uploaded version: Chart.yaml, then what the index adds. */
export function servedEntry(v: HostedVersion): Record<string, unknown> {
  return {
    ...v.metadata,
    name: v.name,
    version: v.version,
    urls: [chartPath(chartFileName(v.name, v.version))],
    created: v.created,
    digest: v.digest.slice('sha256:'.length),
  };
}

/**
 * Renders the served index of a hosted repository from its catalogue. Each chart's version
 * list is rendered once per change of that chart (kept by its catalogue entry, which an upload
 * of another chart leaves as it is); a render concatenates them, so an upload into a
 * repository of 10,000 charts re-renders one chart and copies the rest.
 */
export function createHostedIndexRenderer(head: ServedIndex['head']) {
  const rendered = new WeakMap<CatalogueChart, RenderedChart>();
  const opening = Buffer.from(entriesOpening(head));
  const comma = Buffer.from(',');
  const closing = Buffer.from('}}');

  const renderChart = (name: string, chart: CatalogueChart): RenderedChart => {
    let done = rendered.get(chart);
    if (!done) {
      done = {
        key: Buffer.from(`${JSON.stringify(name)}:`),
        list: Buffer.from(JSON.stringify(chart.versions.map(servedEntry))),
      };
      rendered.set(chart, done);
    }
    return done;
  };

  return function render(catalogue: HostedCatalogue): ServedIndex {
    const names = [...catalogue.charts.keys()].sort();
    const parts: Buffer[] = [opening];
    const spans = new Map<string, EntrySpan>();
    const charts = new Map<string, ChartSource>();
    let offset = opening.length;
    let versions = 0;
    names.forEach((name, i) => {
      const chart = catalogue.charts.get(name) as CatalogueChart;
      const { key, list } = renderChart(name, chart);
      if (i > 0) parts.push(comma);
      parts.push(key, list);
      offset += (i > 0 ? 1 : 0) + key.length;
      spans.set(name, [offset, offset + list.length]);
      offset += list.length;
      versions += chart.versions.length;
      for (const v of chart.versions) {
        const file = chartFileName(v.name, v.version);
        const url = chartPath(file);
        charts.set(file, {
          url,
          digest: v.digest,
          upstream: hostedPosition,
          name: v.name,
          version: v.version,
        });
      }
    });
    parts.push(closing);
    const body = Buffer.concat(parts);
    const digest = createHash('sha256').update(body).digest('hex');
    return {
      body,
      bytes: body.length,
      versions,
      charts,
      spans,
      head,
      etag: etagOf(`sha256:${digest}`),
    };
  };
}
