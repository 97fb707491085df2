import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { loadAuth } from '../../src/auth/load-auth.ts';
import { parseConfig } from '../../src/config/load-config.ts';
import { createHostedRepo, type HostedRepo } from '../../src/hosted/hosted-repo.ts';
import { createEventBus } from '../../src/observability/events.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createMetrics } from '../../src/observability/metrics.ts';
import { createServer } from '../../src/server/create-server.ts';
import { createFsStore } from '../../src/store/fs/fs-store.ts';
import { users, writeHtpasswd } from './auth-ballast.ts';

export interface PushBallast {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, as `oci://` and `docker://` references take it. */
  host: string;
  repo: HostedRepo;
  /** A bearer token named `ci` in `access.write`. */
  ciToken: string;
  app: FastifyInstance;
  stop(): Promise<void>;
}

/**
 * A server with one hosted repository, `team` (alice and the `ci` token write, bob only
 * reads, anyone pulls), on a fs store in `dir`, listening on a loopback port: real clients
 * push to it over the network.
 */
export async function startPushBallast(dir: string): Promise<PushBallast> {
  const htpasswd = join(dir, 'htpasswd');
  await writeHtpasswd(htpasswd, users);
  const ciToken = randomBytes(24).toString('base64url');
  const sha256 = createHash('sha256').update(ciToken).digest('hex');
  const { config } = parseConfig(
    [
      `auth: { htpasswd: ${htpasswd}, tokens: [{ name: ci, sha256: "${sha256}" }] }`,
      'repos:',
      '  - { name: team, hosted: true, access: { write: [alice, ci] } }',
    ].join('\n'),
    'push-ballast',
  );
  const store = await createFsStore({ root: join(dir, 'store') });
  const bus = createEventBus();
  const logger = createLogger({ level: 'silent' });
  const [repoConfig] = config.repos;
  if (!repoConfig) throw new Error('no repo');
  const repo = createHostedRepo({ repo: repoConfig, store, bus, logger, limits: config.limits });
  await repo.load();
  const app = createServer({
    repos: new Map([['team', repo]]),
    hosted: new Map([['team', repo]]),
    store,
    metrics: createMetrics(bus, () => []),
    bus,
    logger,
    isAccepting: () => true,
    auth: await loadAuth(config),
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    repo,
    ciToken,
    app,
    async stop() {
      await app.close();
      await store.close();
    },
  };
}
