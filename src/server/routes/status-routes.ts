import type { FastifyInstance } from 'fastify';
import type { FileMirror } from '../../files/file-mirror.ts';
import type { RepoMirror } from '../../mirror/repo-mirror.ts';
import { createChartCatalog } from '../status/chart-catalog.ts';
import { type StatusSource, statusDocument } from '../status/status-document.ts';
import { renderStatusPage } from '../status/status-page.ts';
import { statusStyleHash } from '../status/status-style.ts';

export interface StatusRoutesOptions {
  mirrors: ReadonlyMap<string, RepoMirror>;
  files: ReadonlyMap<string, FileMirror>;
  status: StatusSource;
}

const maxQueryLength = 100;
const maxResults = 50;

/** `/-/status` for machines and `/` for people: the same data, the page with a chart browser. */
export function registerStatusRoutes(
  app: FastifyInstance,
  { mirrors, files, status }: StatusRoutesOptions,
): void {
  const catalog = createChartCatalog(mirrors);

  app.get('/-/status', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send(statusDocument(mirrors, files, status)),
  );

  app.get<{ Querystring: { q?: unknown; repo?: unknown; chart?: unknown } }>(
    '/',
    async (request, reply) => {
      const param = (value: unknown) =>
        typeof value === 'string' ? value.slice(0, maxQueryLength) : undefined;
      const query = param(request.query.q)?.trim();
      const repo = param(request.query.repo);
      const chart = param(request.query.chart);
      const page = renderStatusPage({
        document: statusDocument(mirrors, files, status),
        base: `${request.protocol}://${request.host}`,
        ...(query ? { search: { query, results: await catalog.search(query, maxResults) } } : {}),
        ...(repo && chart
          ? { chart: { repo, chart, versions: await catalog.versions(repo, chart) } }
          : {}),
      });
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
