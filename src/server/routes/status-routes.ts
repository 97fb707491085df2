import type { FastifyInstance } from 'fastify';
import type { FileMirror } from '../../files/file-mirror.ts';
import type { ChartRepo } from '../../mirror/chart-repo.ts';
import type { Store } from '../../store/store.ts';
import { createChartCatalog } from '../status/chart-catalog.ts';
import {
  type StatusDocument,
  type StatusSource,
  statusDocument,
} from '../status/status-document.ts';
import { renderStatusPage } from '../status/status-page.ts';
import { statusStyleHash } from '../status/status-style.ts';

export interface StatusRoutesOptions {
  repos: ReadonlyMap<string, ChartRepo>;
  files: ReadonlyMap<string, FileMirror>;
  status: StatusSource;
  store: Store;
}

const maxQueryLength = 100;
const maxResults = 50;
/**
 * How long one rendering is served again: probes change the data at most every few seconds,
 * and a page refreshed by many people (or scraped in a loop) is then built once a second.
 */
const reuseMs = 1000;

/** `/-/status` for machines and `/` for people: the same data, the page with a chart browser. */
export function registerStatusRoutes(
  app: FastifyInstance,
  { repos, files, status, store }: StatusRoutesOptions,
): void {
  const catalog = createChartCatalog(repos, store);
  let built: { at: number; document: StatusDocument; json?: string; page?: string } | undefined;
  const current = () => {
    const now = Date.now();
    if (!built || now - built.at >= reuseMs)
      built = { at: now, document: statusDocument(repos, files, status, now) };
    return built;
  };

  app.get('/-/status', async (_request, reply) => {
    const view = current();
    view.json ??= JSON.stringify(view.document);
    return reply
      .header('content-type', 'application/json; charset=utf-8')
      .header('cache-control', 'no-store')
      .send(view.json);
  });

  app.get<{ Querystring: { q?: unknown; repo?: unknown; chart?: unknown } }>(
    '/',
    async (request, reply) => {
      const param = (value: unknown) =>
        typeof value === 'string' ? value.slice(0, maxQueryLength) : undefined;
      const query = param(request.query.q)?.trim();
      const repo = param(request.query.repo);
      const chart = param(request.query.chart);
      const view = current();
      const plain = !query && !(repo && chart);
      // The plain page is the one people keep open and refresh: it is reused with its document.
      const page =
        plain && view.page !== undefined
          ? view.page
          : renderStatusPage({
              document: view.document,
              base: `${request.protocol}://${request.host}`,
              ...(query
                ? { search: { query, results: await catalog.search(query, maxResults) } }
                : {}),
              ...(repo && chart
                ? { chart: { repo, chart, versions: await catalog.versions(repo, chart) } }
                : {}),
            });
      if (plain) view.page = page;
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-store')
        .header(
          'content-security-policy',
          `default-src 'none'; style-src ${statusStyleHash}; form-action 'self'; base-uri 'none'`,
        )
        .send(page);
    },
  );
}
