import type { FileUpstreamConfig } from '../config/schema.ts';
import { upstreamStatusOf } from '../errors/ballast-error.ts';
import type { UpstreamRef } from '../mirror/upstream-calls.ts';
import type { EventBus } from '../observability/events.ts';
import {
  type GetOptions,
  type HttpClient,
  redact,
  type UpstreamResponse,
} from '../upstream/http-client.ts';
import { rewritePath, upstreamFileUrl } from './file-path.ts';

/** One upstream of a file mirror: where a requested path lives there, and a GET for it. */
export interface FileUpstream {
  readonly url: string;
  /** Safe to log. */
  readonly label: string;
  readonly ref: UpstreamRef;
  /** The path in this upstream's layout (its `rewrite` applied). */
  pathFor(path: string): string;
  /** GET of a path in this upstream's layout; 2xx or 304, else a BallastError. */
  open(
    upstreamPath: string,
    kind: 'file' | 'checksum',
    options: GetOptions,
  ): Promise<UpstreamResponse>;
}

export function createFileUpstream(
  config: FileUpstreamConfig,
  position: number,
  { http, bus }: { http: HttpClient; bus: EventBus },
): FileUpstream {
  const label = redact(config.url);
  const ref: UpstreamRef = { key: new URL(config.url).host, position };
  return {
    url: config.url,
    label,
    ref,
    pathFor: (path) => rewritePath(path, config.rewrite),
    async open(upstreamPath, kind, options) {
      const started = performance.now();
      try {
        const response = await http.get(upstreamFileUrl(config.url, upstreamPath), options);
        bus.emit('upstream:request', {
          upstream: label,
          kind,
          outcome: response.status === 304 ? 'not-modified' : 'ok',
          durationMs: performance.now() - started,
        });
        return response;
      } catch (error) {
        bus.emit('upstream:request', {
          upstream: label,
          kind,
          outcome: 'error',
          durationMs: performance.now() - started,
          cause: (error as { code?: string }).code ?? 'unknown',
          status: upstreamStatusOf(error),
        });
        throw error;
      }
    },
  };
}
