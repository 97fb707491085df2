import { upstreamStatusOf } from '../errors/ballast-error.ts';
import { resolveChartUrl } from '../helm/chart-url.ts';
import type { EventBus } from '../observability/events.ts';
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
  /** The bytes at a chart URL the index gave. */
  openFile(
    url: string,
    what: string,
    maxBytes: number,
    signal?: AbortSignal,
  ): Promise<AsyncIterable<Buffer>>;
}

export interface ClassicRepoClientOptions {
  url: string;
  http: HttpClient;
  bus: EventBus;
  maxIndexBytes: number;
}

/** A classic Helm repository: `index.yaml` plus the chart files its entries point at. */
export function createClassicRepoClient({
  url,
  http,
  bus,
  maxIndexBytes,
}: ClassicRepoClientOptions): ClassicRepoClient {
  const label = redact(url);
  const indexUrl = resolveChartUrl(url, 'index.yaml');

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
      };
      if (validators?.etag) headers['if-none-match'] = validators.etag;
      if (validators?.lastModified) headers['if-modified-since'] = validators.lastModified;
      return observed(
        'index',
        async (): Promise<IndexFetch> => {
          const response = await http.get(indexUrl, {
            what: 'index',
            maxBytes: maxIndexBytes,
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
    openFile(fileUrl, what, maxBytes, signal) {
      return observed(
        what,
        async () => (await http.get(fileUrl, { what, maxBytes, signal })).body,
        () => 'ok',
      );
    },
  };
}
