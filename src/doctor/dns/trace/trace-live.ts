import type { LiveQuerier } from '../../net/live-querier.ts';
import type { NameTrace } from './trace.ts';

/**
 * Asks each forward target on a traced path the exact query that hop would send, so the
 * trace shows what every hop actually answered. Only forward targets are asked: they are
 * the addresses a Corefile names (with a port); the pod's own nameserver is not.
 */
export async function addLiveAnswers(
  traces: readonly NameTrace[],
  querier: LiveQuerier,
): Promise<void> {
  const work: Promise<void>[] = [];
  for (const trace of traces) {
    for (const query of trace.queries) {
      for (const hop of query.hops) {
        for (const target of hop.targets ?? []) {
          if (!target.host || target.port === undefined || target.transport === 'tls') continue;
          const transport = target.transport;
          const host = target.host;
          const port = target.port;
          work.push(
            querier.ask(host, port, hop.name, query.type, transport).then((result) => {
              hop.live ??= [];
              hop.live.push({ target: target.address ?? `${host}:${port}`, transport, result });
            }),
          );
        }
      }
    }
  }
  await Promise.all(work);
  // Keep the order stable for people and for JSON consumers.
  for (const trace of traces) {
    for (const query of trace.queries) {
      for (const hop of query.hops) hop.live?.sort((a, b) => a.target.localeCompare(b.target));
    }
  }
}
