import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import semver from 'semver';
import { BallastError, isBallastError } from '../../errors/ballast-error.ts';
import { servedEntry } from '../../hosted/hosted-index.ts';
import type { Actor, HostedVersion, HostedWrites } from '../../hosted/hosted-writes.ts';
import type { ChartRepo } from '../../mirror/chart-repo.ts';
import type { EventBus } from '../../observability/events.ts';
import type { AuthGuard } from '../auth-guard.ts';
import { clientHasGone, echo, reportClientGone, reportStorageFull } from '../http-errors.ts';
import { multipartBoundary, parseMultipartForm, readUploadBody } from '../upload-body.ts';

export interface ChartmuseumRoutesOptions {
  repos: ReadonlyMap<string, ChartRepo>;
  hosted: ReadonlyMap<string, HostedWrites>;
  bus: EventBus;
  /** Access checks; without one, reads are anonymous and nobody may write. */
  guard?: AuthGuard;
  /** Bytes a provenance file may have, added to the body limit of a multipart upload. */
  provSize: number;
}

type RepoRequest = FastifyRequest<{
  Params: { repo: string; name?: string; version?: string };
  Querystring: Record<string, string | string[] | undefined>;
}>;

/** Room for the multipart framing around the chart and the provenance file. */
const formOverhead = 64 * 1024;

/**
 * The ChartMuseum API for hosted repositories under `/api/{repo}/`, answered as ChartMuseum
 * answers (`{"saved":true}`, `{"deleted":true}`, errors as `{"error":"…"}`), so `helm
 * cm-push` and scripts written for ChartMuseum work unchanged. Its own scope: bodies are read
 * by the handlers (bounded by the repo's `maxUploadSize`), and errors take ChartMuseum's shape.
 */
export function registerChartmuseumRoutes(app: FastifyInstance, options: ChartmuseumRoutesOptions) {
  app.register(async (api) => {
    api.removeAllContentTypeParsers();
    // Bodies stay streams until the write has been authorised; the handler reads them.
    api.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
    api.setErrorHandler(async (error, request, reply) => {
      if (isBallastError(error)) {
        reportStorageFull(error, request, options.bus);
        // A body refused unread (no right to write, too large) is not read after the answer
        // either: the connection closes instead of taking in the rest.
        const body = request.body as Readable | undefined;
        if (body && typeof body.readableEnded === 'boolean' && !body.readableEnded)
          reply.header('connection', 'close');
        return reply.code(error.status).send({ error: error.message, code: error.code });
      }
      if (clientHasGone(request)) return reportClientGone(request, reply, options.bus);
      const status = (error as { statusCode?: number }).statusCode;
      if (status !== undefined && status >= 400 && status < 500)
        return reply.code(status).send({ error: echo((error as Error).message) });
      request.log.error({ err: error, url: echo(request.url) }, 'unexpected error');
      return reply.code(500).send({ error: 'internal error', code: 'BALLAST_INTERNAL' });
    });
    registerApi(api, options);
  });
}

function registerApi(api: FastifyInstance, options: ChartmuseumRoutesOptions) {
  const { guard } = options;
  const readCheck =
    guard &&
    (async (request: RepoRequest, reply: FastifyReply) =>
      guard.classicRead(request, reply, request.params.repo));

  const hostedOf = (repo: string) => {
    if (!options.repos.has(repo)) throw new BallastError('BALLAST_REPO_NOT_FOUND', { repo });
    const writes = options.hosted.get(repo);
    if (!writes) throw new BallastError('BALLAST_REPO_NOT_HOSTED', { repo });
    return writes;
  };

  /** Repo first (404, 405), then credentials, and only then is the body read. */
  const writer = async (request: RepoRequest, reply: FastifyReply) => {
    const writes = hostedOf(request.params.repo);
    if (!guard)
      throw new BallastError('BALLAST_AUTH_WRITE_OFF', {
        repo: request.params.repo,
        reason: 'no users or tokens are configured (auth.htpasswd, auth.tokens)',
      });
    const actor: Actor = await guard.classicWrite(request, reply, request.params.repo);
    return { writes, actor };
  };

  const force = (request: RepoRequest) => request.query.force !== undefined;

  const versionsOf = async (request: RepoRequest) => {
    const writes = hostedOf(request.params.repo);
    const name = request.params.name as string;
    const versions = (await writes.list()).get(name);
    if (!versions)
      throw new BallastError('BALLAST_HOSTED_CHART_NOT_FOUND', { repo: writes.name, name });
    return { writes, name, versions };
  };

  const versionOf = async (request: RepoRequest): Promise<HostedVersion> => {
    const { writes, name, versions } = await versionsOf(request).catch((error: unknown) => {
      if (!isBallastError(error, 'BALLAST_HOSTED_CHART_NOT_FOUND')) throw error;
      return {
        writes: hostedOf(request.params.repo),
        name: request.params.name as string,
        versions: [],
      };
    });
    const wanted = request.params.version as string;
    // `latest`, as ChartMuseum reads it: the newest version that is not a pre-release.
    const found =
      wanted === 'latest'
        ? versions.find(
            (v) =>
              semver.valid(v.version, { loose: true }) &&
              !semver.prerelease(v.version, { loose: true }),
          )
        : versions.find((v) => v.version === wanted);
    if (!found)
      throw new BallastError('BALLAST_HOSTED_VERSION_NOT_FOUND', {
        repo: writes.name,
        name,
        version: wanted,
      });
    return found;
  };

  api.get(
    '/api/:repo/charts',
    { ...(readCheck ? { preHandler: readCheck } : {}) },
    async (request: RepoRequest) => {
      const writes = hostedOf(request.params.repo);
      const offset =
        whole(request.query.offset, 0, 'offset is not a valid non-negative integer') ?? 0;
      const limit = whole(request.query.limit, 1, 'limit is not a valid positive integer');
      const all = await writes.list();
      const names = [...all.keys()]
        .sort()
        .slice(offset, limit === undefined ? undefined : offset + limit);
      return Object.fromEntries(
        names.map((name) => [name, (all.get(name) ?? []).map(servedEntry)]),
      );
    },
  );

  api.route({
    method: ['GET', 'HEAD'],
    url: '/api/:repo/charts/:name',
    ...(readCheck ? { preHandler: readCheck } : {}),
    handler: async (request: RepoRequest) => (await versionsOf(request)).versions.map(servedEntry),
  });

  api.route({
    method: ['GET', 'HEAD'],
    url: '/api/:repo/charts/:name/:version',
    ...(readCheck ? { preHandler: readCheck } : {}),
    handler: async (request: RepoRequest) => servedEntry(await versionOf(request)),
  });

  api.post('/api/:repo/charts', async (request: RepoRequest, reply) => {
    const { writes, actor } = await writer(request, reply);
    const contentType = request.headers['content-type'];
    const boundary = multipartBoundary(contentType);
    const limit = writes.maxUploadSize + (boundary ? options.provSize + formOverhead : 0);
    const body = await readUploadBody(
      request.body as Readable,
      request.headers['content-length'],
      limit,
    );
    if (!boundary) {
      if (body.length === 0)
        throw new BallastError('BALLAST_UPLOAD_INVALID', { reason: 'the body is empty' });
      await writes.putChart({ chart: body, force: force(request) }, actor);
      return reply.code(201).send({ saved: true });
    }
    const form = await parseMultipartForm(body, contentType as string);
    const chart = form.get('chart');
    const prov = form.get('prov');
    if (chart) {
      if (chart.data.length > writes.maxUploadSize)
        throw new BallastError('BALLAST_UPLOAD_TOO_LARGE', { limit: writes.maxUploadSize });
      await writes.putChart(
        {
          chart: chart.data,
          ...(prov ? { prov: prov.data } : {}),
          force: force(request),
          ...(chart.fileName ? { fileName: chart.fileName } : {}),
        },
        actor,
      );
    } else if (prov) {
      await writes.putProvenance(prov.data, actor, { force: force(request) });
    } else {
      throw new BallastError('BALLAST_UPLOAD_INVALID', {
        reason: 'no package or provenance file found in form fields chart and prov',
      });
    }
    return reply.code(201).send({ saved: true });
  });

  api.post('/api/:repo/prov', async (request: RepoRequest, reply) => {
    const { writes, actor } = await writer(request, reply);
    const body = await readUploadBody(
      request.body as Readable,
      request.headers['content-length'],
      options.provSize,
    );
    await writes.putProvenance(body, actor, { force: force(request) });
    return reply.code(201).send({ saved: true });
  });

  api.delete('/api/:repo/charts/:name/:version', async (request: RepoRequest, reply) => {
    const { writes, actor } = await writer(request, reply);
    const { name, version } = request.params as { name: string; version: string };
    if (!(await writes.remove(name, version, actor)))
      throw new BallastError('BALLAST_HOSTED_VERSION_NOT_FOUND', {
        repo: writes.name,
        name,
        version,
      });
    return reply.code(200).send({ deleted: true });
  });
}

/** A whole number from the query, at least `min`; undefined when absent. */
function whole(value: unknown, min: number, message: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || !/^\d+$/.test(value) || Number(value) < min)
    throw new BallastError('BALLAST_BAD_REQUEST', { reason: message });
  return Number(value);
}
