import { Counter, type Registry } from 'prom-client';
import type { EventBus } from './events.ts';

/** Metrics of the HTTP listener's edges and of the store's disk, fed by events. */
export function registerServerMetrics(bus: EventBus, registers: Registry[]): void {
  const clientGone = new Counter({
    name: 'ballast_http_client_gone_total',
    help: 'Requests whose client hung up before the answer was complete, by route.',
    labelNames: ['route'],
    registers,
  });
  const clientErrors = new Counter({
    name: 'ballast_http_client_errors_total',
    help: 'Connections refused by the HTTP parser (headers too large or too slow, not HTTP), by code.',
    labelNames: ['code'],
    registers,
  });
  const dropped = new Counter({
    name: 'ballast_http_connections_dropped_total',
    help: 'Connections closed at once because server.maxConnections were open.',
    registers,
  });
  const storeFull = new Counter({
    name: 'ballast_store_full_total',
    help: 'Store writes that failed because the disk is full (ENOSPC) or over quota.',
    registers,
  });
  bus.on('http:client-gone', ({ route }) => clientGone.inc({ route }));
  bus.on('http:client-error', ({ code }) => clientErrors.inc({ code }));
  bus.on('http:connection-dropped', () => dropped.inc());
  bus.on('store:full', () => storeFull.inc());
}
