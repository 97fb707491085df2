import type { FileUpstreamConfig } from '../config/schema.ts';
import { upstreamStatusOf } from '../errors/ballast-error.ts';
import type { UpstreamRef } from '../mirror/upstream-calls.ts';
import type { EventBus } from '../observability/events.ts';
import { authorizationFor, type UpstreamCredentials } from '../upstream/credentials.ts';
import { createHostPolicy } from '../upstream/host-policy.ts';
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
  /**
   * GET of a path in this upstream's layout; 2xx or 304, else a BallastError. Redirects stay
   * on the upstream's origin or its `redirectHosts`; credentials go to its own origin only.
   */
  open(
    upstreamPath: string,
    kind: 'file' | 'checksum',
    options: Omit<GetOptions, 'hosts'>,
  ): Promise<UpstreamResponse>;
}

export function createFileUpstream(
  config: FileUpstreamConfig,
  position: number,
  {
    http,
    bus,
    credentials,
  }: { http: HttpClient; bus: EventBus; credentials?: UpstreamCredentials | undefined },
): FileUpstream {
  const label = redact(config.url);
  const { host, origin } = new URL(config.url);
  const ref: UpstreamRef = { key: host, position };
  const hosts = createHostPolicy({
    origin,
    hosts: config.redirectHosts,
    hostsKey: 'redirectHosts',
  });
  // Files are always under the upstream's URL, so on its origin: the header goes with each GET.
  const auth: Record<string, string> = credentials
    ? { authorization: authorizationFor(credentials) }
    : {};
  return {
    url: config.url,
    label,
    ref,
    pathFor: (path) => rewritePath(path, config.rewrite),
    async open(upstreamPath, kind, options) {
      const started = performance.now();
      try {
        const response = await http.get(upstreamFileUrl(config.url, upstreamPath), {
          ...options,
          hosts,
          headers: { ...options.headers, ...auth },
        });
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
