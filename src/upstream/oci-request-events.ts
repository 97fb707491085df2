import { upstreamStatusOf } from '../errors/ballast-error.ts';
import type { EventBus } from '../observability/events.ts';

/**
 * Wraps each registry call so that it emits `upstream:request` with its kind (`oci-tags`,
 * `oci-manifest`, `oci-blob`, `oci-token`, `oci-ping`), outcome and duration, as the classic
 * client does: metrics and logs for OCI come from the same event.
 */
export function createRequestObserver(bus: EventBus, upstream: string) {
  return async function observed<T>(kind: string, work: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      bus.emit('upstream:request', {
        upstream,
        kind,
        outcome: 'ok',
        durationMs: performance.now() - started,
      });
      return result;
    } catch (error) {
      bus.emit('upstream:request', {
        upstream,
        kind,
        outcome: 'error',
        durationMs: performance.now() - started,
        cause: (error as { code?: string }).code ?? 'unknown',
        status: upstreamStatusOf(error),
      });
      throw error;
    }
  };
}
