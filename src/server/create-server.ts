import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Registry } from 'prom-client';
import type { Auth } from '../auth/load-auth.ts';
import type { FileMirror } from '../files/file-mirror.ts';
import { createBlobUploads } from '../hosted/blob-uploads.ts';
import type { HostedWrites } from '../hosted/hosted-writes.ts';
import type { ChartRepo } from '../mirror/chart-repo.ts';
import { createMirrorOciContent } from '../mirror/oci-content.ts';
import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../store/store.ts';
import { createAuthGuard } from './auth-guard.ts';
import { createBlobMemoryCache } from './blob-memory-cache.ts';
import {
  clientErrorHandler,
  echo,
  frameworkErrorHandler,
  registerErrorHandler,
} from './http-errors.ts';
import { registerChartmuseumRoutes } from './routes/chartmuseum-routes.ts';
import { registerFileRoutes } from './routes/file-routes.ts';
import { registerHelmRoutes } from './routes/helm-routes.ts';
import { registerOciRoutes } from './routes/oci-routes.ts';
import { registerOpsRoutes } from './routes/ops-routes.ts';
import { registerStatusRoutes } from './routes/status-routes.ts';
import type { StatusSource } from './status/status-document.ts';

/** Path segments (chart file names, OCI names) longer than this are refused with 414. */
const maxParamLength = 300;

export interface ConnectionLimits {
  /** Client connections open at once; more are closed as they arrive. */
  maxConnections: number;
  /** Time a client has to send its request headers. */
  headersTimeoutMs: number;
}

const defaultConnectionLimits: ConnectionLimits = {
  maxConnections: 1024,
  headersTimeoutMs: 10_000,
};

import { registerTokenRoutes } from './routes/token-routes.ts';

export interface ServerOptions {
  repos: ReadonlyMap<string, ChartRepo>;
  /** The write side of hosted repositories: the ChartMuseum API under `/api/`, OCI push. */
  hosted?: ReadonlyMap<string, HostedWrites>;
  /** Bytes a provenance file may have (`limits.provSize`). */
  provSize?: number;
  /** File mirrors (`files:`), served under `/files/{name}/`. */
  files?: ReadonlyMap<string, FileMirror>;
  store: Store;
  metrics: Registry;
  bus: EventBus;
  logger: Logger;
  isAccepting: () => boolean;
  connections?: Partial<ConnectionLimits>;
  /** Probes and serving figures for `/` and `/-/status`; without them, no status routes. */
  status?: StatusSource;
  /** Memory for recently served small blobs. */
  blobCacheBytes?: number;
  /** Users, tokens and each repo's `access`; without it every repo is read anonymously. */
  auth?: Auth;
  /** Told of every route as it is added: the route table, for tests that must cover them all. */
  onRoute?: (route: { method: string; url: string }) => void;
}

/** The HTTP face of Ballast: routes get their dependencies here and nowhere else. */
export function createServer(options: ServerOptions): FastifyInstance {
  const { bus } = options;
  const connections = { ...defaultConnectionLimits, ...options.connections };
  const app = Fastify({
    loggerInstance: options.logger.child({ module: 'http' }) as FastifyBaseLogger,
    // Requests are logged once, in the onResponse hook below, with the route and timing.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { maxParamLength },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    frameworkErrors: frameworkErrorHandler(maxParamLength),
    clientErrorHandler: clientErrorHandler(bus),
    http: {
      headersTimeout: connections.headersTimeoutMs,
      // Node checks the header deadline on this interval (30 s by default), which would let a
      // slow client hold its connection up to 30 s past the deadline.
      connectionsCheckingInterval: Math.min(1000, connections.headersTimeoutMs),
    },
  });
  // A connection past the cap is closed at once: memory stays bounded under a flood of idle
  // or slow clients, and the clients already connected keep being served.
  app.server.maxConnections = connections.maxConnections;
  app.server.on('drop', () => bus.emit('http:connection-dropped', {}));

  const { onRoute } = options;
  if (onRoute) {
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      for (const method of methods) onRoute({ method, url: route.url });
    });
  }

  // One logger for all requests: a child logger per request costs more than a cached chart.
  app.setChildLoggerFactory((logger) => logger);
  const logRequests = options.logger.isLevelEnabled('debug');

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    bus.emit('http:response', {
      route,
      method: request.method,
      status,
      durationMs: reply.elapsedTime,
    });
    if (status >= 500 || logRequests) {
      const line = {
        method: request.method,
        url: request.url,
        status,
        ms: Math.round(reply.elapsedTime),
      };
      if (status >= 500) request.log.warn(line, 'request failed');
      else request.log.debug(line, 'request');
    }
  });

  registerErrorHandler(app, bus);

  app.setNotFoundHandler(async (request, reply) =>
    reply.code(404).send({
      error: {
        code: 'BALLAST_NOT_FOUND',
        message: `no route for ${request.method} ${echo(request.url)}`,
      },
    }),
  );

  const blobCache = createBlobMemoryCache(
    options.store,
    options.blobCacheBytes ?? 64 * 1024 * 1024,
    4 * 1024 * 1024,
  );
  // Without users or tokens no repo can be private: no checks, no token endpoint, no cost.
  const auth = options.auth?.enabled ? options.auth : undefined;
  const guard = auth && createAuthGuard(auth);
  registerOpsRoutes(app, options);
  if (options.status)
    registerStatusRoutes(app, {
      repos: options.repos,
      files: options.files ?? new Map(),
      status: options.status,
      store: options.store,
    });
  if (auth && guard) registerTokenRoutes(app, auth, guard);
  registerHelmRoutes(app, { ...options, blobCache, guard });
  registerChartmuseumRoutes(app, {
    repos: options.repos,
    hosted: options.hosted ?? new Map(),
    bus,
    ...(guard ? { guard } : {}),
    provSize: options.provSize ?? 1024 * 1024,
  });
  registerFileRoutes(app, { files: options.files ?? new Map(), store: options.store, blobCache });
  registerOciRoutes(app, {
    source: createMirrorOciContent(options.repos, options.store),
    store: options.store,
    blobCache,
    bus,
    guard,
    push: {
      hosted: options.hosted ?? new Map(),
      isRepo: (repo) => options.repos.has(repo),
      uploads: createBlobUploads(options.store),
    },
  });
  return app;
}
