import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAuth } from '../../src/auth/load-auth.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createEventBus } from '../../src/observability/events.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createServer } from '../../src/server/create-server.ts';
import { createFsStore } from '../../src/store/fs/fs-store.ts';
import { removeDir } from './temp-dir.ts';

export interface RouteEntry {
  method: string;
  url: string;
}

/**
 * Every method and path the server answers, as Fastify registered them (auth on, so the
 * token endpoint is there too). Tests that must cover every route enumerate this table, so a
 * route added later cannot be forgotten.
 */
export async function serverRouteTable(): Promise<RouteEntry[]> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-routes-'));
  try {
    const { config } = parseConfig(
      `auth: { tokens: [{ name: ci, sha256: "${'0'.repeat(64)}" }] }`,
      'route-table',
    );
    const routes: RouteEntry[] = [];
    const bus = createEventBus();
    const app = createServer({
      repos: new Map(),
      files: new Map(),
      store: await createFsStore({ root: join(dir, 'store') }),
      metrics: createMetrics(bus, () => []),
      bus,
      logger: createLogger({ level: 'silent' }),
      isAccepting: () => true,
      auth: await loadAuth(config),
      onRoute: (route) => routes.push(route),
    });
    await app.ready();
    await app.close();
    return routes;
  } finally {
    await removeDir(dir);
  }
}

/** Whether a method changes state: every such route needs the write-access matrix. */
export function isWrite(route: RouteEntry): boolean {
  return !['GET', 'HEAD', 'OPTIONS'].includes(route.method);
}
