import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import type { ChartRepo } from '../../mirror/chart-repo.ts';

export interface OpsRoutesOptions {
  repos: ReadonlyMap<string, ChartRepo>;
  metrics: Registry;
  /** False while starting and once shutdown has begun. */
  isAccepting: () => boolean;
}

/** Liveness, readiness and Prometheus metrics. */
export function registerOpsRoutes(
  app: FastifyInstance,
  { repos: chartRepos, metrics, isAccepting }: OpsRoutesOptions,
): void {
  app.get('/-/healthz', async () => ({ status: 'ok' }));

  app.get('/-/readyz', async (_request, reply) => {
    const repos = Object.fromEntries(
      [...chartRepos].map(([name, mirror]) => [name, mirror.status()]),
    );
    // Not ready while a stored index is still loading: this instance would make clients wait.
    const ready = isAccepting() && Object.values(repos).every((status) => !status.loading);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', repos });
  });

  app.get('/metrics', async (_request, reply) => {
    const body = await metrics.metrics();
    return reply.header('content-type', metrics.contentType).send(body);
  });
}
