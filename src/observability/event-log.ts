import type { EventBus } from './events.ts';
import type { Logger } from './logger.ts';

/** Writes the events an operator should see as structured log lines. */
export function logEvents(bus: EventBus, logger: Logger): void {
  const log = logger.child({ module: 'events' });
  bus.on('index:updated', (e) =>
    log.info({ event: 'index:updated', ...e }, 'index updated from upstream'),
  );
  bus.on('index:refresh-failed', (e) =>
    log.warn(
      { event: 'index:refresh-failed', ...e },
      'index refresh failed; serving the last good index',
    ),
  );
  bus.on('guard:refused', (e) =>
    log.error(
      { event: 'guard:refused', ...e },
      'index guard refused the upstream index; keeping the last good one',
    ),
  );
  bus.on('index:entry-skipped', (e) =>
    log.warn({ event: 'index:entry-skipped', ...e }, 'skipped an index entry'),
  );
  bus.on('index:entry-repaired', (e) =>
    log.warn({ event: 'index:entry-repaired', ...e }, 'repaired an index entry Helm would misread'),
  );
  bus.on('chart:pinned', (e) =>
    log.info(
      { event: 'chart:pinned', ...e },
      'pinned the digest of a chart its upstream lists without one',
    ),
  );
  bus.on('chart:stored', (e) =>
    log.info({ event: 'chart:stored', ...e }, 'chart verified and stored'),
  );
  bus.on('chart:rejected', (e) =>
    log.warn({ event: 'chart:rejected', ...e }, 'chart download refused'),
  );
  bus.on('auth:failed', (e) =>
    log.warn({ event: 'auth:failed', ...e }, 'client credentials refused'),
  );
  // Audit lines carry `audit: true` so a log pipeline can route them apart.
  bus.on('audit:write', (e) =>
    log.info({ event: 'audit:write', audit: true, ...e }, `audit: ${e.action} by ${e.who}`),
  );
  bus.on('upstream:retry', (e) =>
    log.info({ event: 'upstream:retry', ...e }, 'retrying an upstream request'),
  );
  bus.on('breaker:state', (e) => {
    const message =
      e.to === 'closed' ? 'upstream recovered; breaker closed' : `upstream breaker ${e.to}`;
    log[e.to === 'open' ? 'warn' : 'info']({ event: 'breaker:state', ...e }, message);
  });
  bus.on('hedge:fired', (e) =>
    log.info({ event: 'hedge:fired', ...e }, 'asking the next upstream as well'),
  );
  bus.on('dns:stale', (e) =>
    log.warn({ event: 'dns:stale', ...e }, 'DNS failed; using the last known addresses'),
  );
  bus.on('dns:lookup-failed', (e) =>
    log.warn({ event: 'dns:lookup-failed', ...e }, 'DNS lookup failed'),
  );
  bus.on('file:stored', (e) =>
    log.info({ event: 'file:stored', ...e }, 'file verified and stored'),
  );
  bus.on('file:rejected', (e) =>
    log.warn(
      { event: 'file:rejected', ...e },
      "refused an upstream's copy of a file; trying the next",
    ),
  );
  bus.on('probe:state-changed', (e) =>
    log[e.state === 'healthy' ? 'info' : 'warn'](
      { event: 'probe:state-changed', ...e },
      `upstream ${e.state} (was ${e.previous})`,
    ),
  );
  bus.on('alert:failed', (e) =>
    log.warn(
      { ...e, event: 'alert:failed', alert: e.event },
      'webhook delivery failed after every retry',
    ),
  );
  bus.on('upstream:request', (e) => {
    if (e.outcome !== 'error') return;
    // A 404 is how an upstream says it has no such file (a missing .prov, the checksum names
    // tried in turn): the caller decides whether that matters; it is not worth a warning each.
    if (e.status === 404 || e.status === 410)
      log.debug({ event: 'upstream:request', ...e }, 'upstream has no such file');
    else log.warn({ event: 'upstream:request', ...e }, 'upstream request failed');
  });
}
