import { BallastError, upstreamStatusOf } from '../errors/ballast-error.ts';
import { resolveChartUrl } from '../helm/chart-url.ts';
import type { EventBus } from '../observability/events.ts';
import { authorizationFor, type UpstreamCredentials } from './credentials.ts';
import { createHostPolicy } from './host-policy.ts';
import { type HttpClient, redact } from './http-client.ts';

export interface IndexValidators {
  etag?: string;
  lastModified?: string;
}

export type IndexFetch =
  | { kind: 'not-modified' }
  | { kind: 'fetched'; body: AsyncIterable<Buffer>; validators: IndexValidators };

export interface ClassicRepoClient {
  /** The repository URL as configured. */
  readonly url: string;
  /** The same, safe to log. */
  readonly label: string;
  /** Conditional GET of index.yaml with the validators of the last good copy. */
  fetchIndex(validators: IndexValidators | undefined, signal?: AbortSignal): Promise<IndexFetch>;
  /**
   * The bytes at a chart URL the index gave; refused with BALLAST_CHART_HOST_NOT_ALLOWED
   * unless it is on the repository's own origin or a `chartHosts` host.
   */
  openFile(
    url: string,
    what: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<Buffer>>;
}

export interface ClassicRepoClientOptions {
  url: string;
  /** Hosts besides the repository's own origin that chart URLs and redirects may lead to. */
  chartHosts?: readonly string[];
  credentials?: UpstreamCredentials;
  http: HttpClient;
  bus: EventBus;
  maxIndexBytes: number;
}

/**
 * A classic Helm repository: `index.yaml` plus the chart files its entries point at. Every
 * request, redirect hops included, stays on the repository's origin or its chartHosts, and
 * credentials go to the repository's own origin only (as Helm does without
 * --pass-credentials): a chart on a chartHosts host is fetched without them.
 */
export function createClassicRepoClient({
  url,
  chartHosts = [],
  credentials,
  http,
  bus,
  maxIndexBytes,
}: ClassicRepoClientOptions): ClassicRepoClient {
  const label = redact(url);
  const indexUrl = resolveChartUrl(url, 'index.yaml');
  const { origin } = new URL(url);
  const hosts = createHostPolicy({ origin, hosts: chartHosts, hostsKey: 'chartHosts' });
  const authorization = credentials ? authorizationFor(credentials) : undefined;
  const authFor = (target: URL): Record<string, string> =>
    authorization && target.origin === origin ? { authorization } : {};

  async function observed<T>(
    kind: string,
    work: () => Promise<T>,
    outcomeOf: (result: T) => 'ok' | 'not-modified',
  ): Promise<T> {
    const started = performance.now();
    try {
      const result = await work();
      bus.emit('upstream:request', {
        upstream: label,
        kind,
        outcome: outcomeOf(result),
        durationMs: performance.now() - started,
      });
      return result;
    } catch (error) {
      const cause = (error as { code?: string }).code ?? 'unknown';
      bus.emit('upstream:request', {
        upstream: label,
        kind,
        outcome: 'error',
        durationMs: performance.now() - started,
        cause,
        status: upstreamStatusOf(error),
      });
      throw error;
    }
  }

  return {
    url,
    label,
    fetchIndex(validators, signal) {
      const headers: Record<string, string> = {
        accept: 'application/x-yaml, application/json;q=0.9, */*;q=0.1',
        ...authFor(new URL(indexUrl)),
      };
      if (validators?.etag) headers['if-none-match'] = validators.etag;
      if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
      return observed(
        'index',
        async (): Promise<IndexFetch> => {
          const response = await http.get(indexUrl, {
            what: 'index',
            maxBytes: maxIndexBytes,
            hosts,
            headers,
            signal,
          });
          if (response.status === 304) return { kind: 'not-modified' };
          const { etag, 'last-modified': lastModified } = response.headers;
          return { kind: 'fetched', body: response.body, validators: { etag, lastModified } };
        },
        (result) => (result.kind === 'not-modified' ? 'not-modified' : 'ok'),
      );
    },
    async openFile(fileUrl, what, maxBytes, signal) {
      const target = URL.canParse(fileUrl) ? new URL(fileUrl) : undefined;
      if (!target || !hosts.allows(target))
        throw new BallastError('BALLAST_CHART_HOST_NOT_ALLOWED', {
          url: redact(fileUrl),
          upstream: label,
          reason: `allowed are ${hosts.describe()}; list its host in chartHosts of that upstream to allow it`,
        });
      return observed(
        what,
        async () =>
          (await http.get(fileUrl, { what, maxBytes, hosts, headers: authFor(target), signal }))
            .body,
        () => 'ok',
      );
    },
  };
}
