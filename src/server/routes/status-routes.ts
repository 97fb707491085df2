import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FileMirror } from '../../files/file-mirror.ts';
import type { ChartRepo } from '../../mirror/chart-repo.ts';
import type { Store } from '../../store/store.ts';
import { matchesEtag } from '../conditional.ts';
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

/** A rendering as the bytes sent, with their entity tag, made once and sent many times. */
interface Rendered {
  body: Buffer;
  etag: string;
}

function rendered(text: string): Rendered {
  const body = Buffer.from(text);
  return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** Sends the bytes, or `304` when the client holds them already (a page left open, a poller). */
function sendRendered(
  request: FastifyRequest,
  reply: FastifyReply,
  { body, etag }: Rendered,
  contentType: string,
) {
  reply.header('etag', etag).header('cache-control', 'no-cache');
  if (matchesEtag(request.headers['if-none-match'], etag)) return reply.code(304).send();
  return reply.header('content-type', contentType).send(body);
}

/** `/-/status` for machines and `/` for people: the same data, the page with a chart browser. */
export function registerStatusRoutes(
  app: FastifyInstance,
  { repos, files, status, store }: StatusRoutesOptions,
): void {
  const catalog = createChartCatalog(repos, store);
  let built: { at: number; document: StatusDocument; json?: Rendered; page?: Rendered } | undefined;
  const current = () => {
    const now = Date.now();
    if (!built || now - built.at >= reuseMs)
      built = { at: now, document: statusDocument(repos, files, status, now) };
    return built;
  };

  app.get('/-/status', async (request, reply) => {
    const view = current();
    view.json ??= rendered(JSON.stringify(view.document));
    return sendRendered(request, reply, view.json, 'application/json; charset=utf-8');
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
      const render = async () =>
        renderStatusPage({
          document: view.document,
          base: `${request.protocol}://${request.host}`,
          ...(query ? { search: { query, results: await catalog.search(query, maxResults) } } : {}),
          ...(repo && chart
            ? { chart: { repo, chart, versions: await catalog.versions(repo, chart) } }
            : {}),
        });
      // The plain page is the one people keep open and refresh: it is reused with its document.
      let page = plain ? view.page : undefined;
      if (!page) {
        page = rendered(await render());
        if (plain) view.page = page;
      }
      reply.header(
        'content-security-policy',
        `default-src 'none'; style-src ${statusStyleHash}; form-action 'self'; base-uri 'none'`,
      );
      return sendRendered(request, reply, page, 'text/html; charset=utf-8');
    },
  );
}
