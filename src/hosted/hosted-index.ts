import { createHash } from 'node:crypto';
import { chartFileName, chartPath } from '../helm/chart-url.ts';
import type { ChartSource, EntrySpan, ServedIndex } from '../mirror/served-index.ts';
import { entriesOpening, etagOf } from '../mirror/served-index.ts';
import { type CatalogueChart, type HostedCatalogue, sortedNames } from './hosted-catalogue.ts';
import type { HostedVersion } from './hosted-writes.ts';

/** Where a hosted chart's bytes are: no upstream. */
export const hostedPosition = -1;

/** One chart's part of the served index, `"name":[…]`, rendered once per change of the chart. */
interface RenderedChart {
  part: Buffer;
  /** Bytes of `"name":` at the start of `part`. */
  keyBytes: number;
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
      const key = Buffer.from(`${JSON.stringify(name)}:`);
      const list = Buffer.from(JSON.stringify(chart.versions.map(servedEntry)));
      done = { part: Buffer.concat([key, list]), keyBytes: key.length };
      rendered.set(chart, done);
    }
    return done;
  };

  return function render(catalogue: HostedCatalogue): ServedIndex {
    const names = sortedNames(catalogue);
    const parts: Buffer[] = [opening];
    let versions = 0;
    names.forEach((name, i) => {
      const chart = catalogue.charts.get(name) as CatalogueChart;
      if (i > 0) parts.push(comma);
      parts.push(renderChart(name, chart).part);
      versions += chart.versions.length;
    });
    parts.push(closing);
    const body = Buffer.concat(parts);
    const digest = createHash('sha256').update(body).digest('hex');
    // The chart table and the spans are made when something asks (views, the OCI face, sync):
    // an upload followed by Helm's GET needs neither.
    let charts: Map<string, ChartSource> | undefined;
    let spans: Map<string, EntrySpan> | undefined;
    return {
      body,
      bytes: body.length,
      versions,
      head,
      etag: etagOf(`sha256:${digest}`),
      get charts() {
        charts ??= chartTable(catalogue, names);
        return charts;
      },
      get spans() {
        spans ??= spansOf(names, (name) =>
          renderChart(name, catalogue.charts.get(name) as CatalogueChart),
        );
        return spans;
      },
    };
  };

  function spansOf(names: readonly string[], part: (name: string) => RenderedChart) {
    const spans = new Map<string, EntrySpan>();
    let offset = opening.length;
    names.forEach((name, i) => {
      const { part: bytes, keyBytes } = part(name);
      offset += i > 0 ? comma.length : 0;
      spans.set(name, [offset + keyBytes, offset + bytes.length]);
      offset += bytes.length;
    });
    return spans;
  }
}

function chartTable(catalogue: HostedCatalogue, names: readonly string[]) {
  const charts = new Map<string, ChartSource>();
  for (const name of names) {
    for (const v of (catalogue.charts.get(name) as CatalogueChart).versions) {
      const file = chartFileName(v.name, v.version);
      charts.set(file, {
        url: chartPath(file),
        digest: v.digest,
        upstream: hostedPosition,
        name: v.name,
        version: v.version,
        ...(v.provenance ? { provenance: v.provenance } : {}),
      });
    }
  }
  return charts;
}
