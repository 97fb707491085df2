import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher, interceptors } from 'undici';
import { BallastError } from '../errors/ballast-error.ts';
import { translateNetworkError } from './network-errors.ts';

export interface HttpClientOptions {
  timeouts: { connect: number; headers: number; body: number };
  maxRedirects: number;
  /** Ballast's own DNS resolver; the system resolver when absent. */
  lookup?: LookupFunction;
  userAgent?: string;
}

export interface GetOptions {
  /** Limit for the body; exceeding it fails the request and keeps nothing. */
  maxBytes: number;
  /** What is fetched, for error messages ("index", "chart"). */
  what: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /**
   * Error statuses returned as responses instead of thrown (body bounded like any other),
   * e.g. 401 for a registry's `WWW-Authenticate` challenge.
   */
  acceptStatus?: readonly number[];
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | undefined>;
  /** The body, bounded by maxBytes and the body timeout. Empty for 304. */
  body: AsyncIterable<Buffer>;
}

export interface HttpClient {
  /** A 2xx or 304 response; any other status, or a failure to get one, throws a BallastError. */
  get(url: string, options: GetOptions): Promise<UpstreamResponse>;
  /** Like get, with the whole body read into memory. */
  getBuffer(
    url: string,
    options: GetOptions,
  ): Promise<{ status: number; headers: UpstreamResponse['headers']; body: Buffer }>;
  close(): Promise<void>;
}

const bodySnippetBytes = 2048;

/**
 * The HTTP client for every upstream, on undici: connect, headers and body timeouts, bounded
 * redirects and body sizes, and network errors translated into Ballast's own at this edge.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const agent = new Agent({
    connect: {
      timeout: options.timeouts.connect,
      ...(options.lookup ? { lookup: options.lookup } : {}),
    },
    headersTimeout: options.timeouts.headers,
    bodyTimeout: options.timeouts.body,
    connections: 64,
  });
  const dispatcher: Dispatcher = agent.compose(
    interceptors.redirect({ maxRedirections: options.maxRedirects }),
  );
  const userAgent = options.userAgent ?? 'ballast';

  async function get(url: string, request: GetOptions): Promise<UpstreamResponse> {
    const source = redact(url);
    let response: Dispatcher.ResponseData;
    try {
      response = await dispatcher.request({
        origin: new URL(url).origin,
        path: pathOf(url),
        method: 'GET',
        headers: { 'user-agent': userAgent, ...request.headers },
        signal: request.signal,
      });
    } catch (error) {
      throw translateNetworkError(error, source, options.timeouts);
    }
    const { statusCode } = response;
    const headers = flattenHeaders(response.headers);
    if (statusCode >= 300 && statusCode < 400 && statusCode !== 304) {
      discard(response.body);
      throw new BallastError('BALLAST_TOO_MANY_REDIRECTS', { source, limit: options.maxRedirects });
    }
    if ((statusCode < 200 || statusCode >= 400) && !request.acceptStatus?.includes(statusCode)) {
      const bodySnippet = await readSnippet(response.body);
      throw new BallastError('BALLAST_UPSTREAM_STATUS', {
        source,
        statusCode,
        retryAfter: headers['retry-after'],
        bodySnippet,
      });
    }
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > request.maxBytes) {
      discard(response.body);
      throw new BallastError('BALLAST_BODY_TOO_LARGE', {
        what: request.what,
        source,
        limit: request.maxBytes,
      });
    }
    return {
      status: statusCode,
      headers,
      body: limitBody(response.body, request, source, options.timeouts),
    };
  }

  return {
    get,
    async getBuffer(url, request) {
      const response = await get(url, request);
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk);
      return { status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
    },
    async close() {
      // Requests still waiting on an upstream at shutdown are cut off, not waited for.
      await agent.destroy();
    },
  };
}

async function* limitBody(
  body: Dispatcher.ResponseData['body'],
  request: GetOptions,
  source: string,
  timeouts: HttpClientOptions['timeouts'],
): AsyncGenerator<Buffer> {
  let received = 0;
  try {
    for await (const chunk of body) {
      received += chunk.length;
      if (received > request.maxBytes) {
        throw new BallastError('BALLAST_BODY_TOO_LARGE', {
          what: request.what,
          source,
          limit: request.maxBytes,
        });
      }
      yield chunk;
    }
  } catch (error) {
    throw error instanceof BallastError ? error : translateNetworkError(error, source, timeouts);
  } finally {
    discard(body);
  }
}

/** Drops a body we will not read; destroying it raises an abort error that nobody needs. */
function discard(body: Dispatcher.ResponseData['body']): void {
  body.on('error', () => {});
  body.destroy();
}

async function readSnippet(body: Dispatcher.ResponseData['body']): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= bodySnippetBytes) break;
    }
  } catch {
    // The status is what matters; a broken error body adds nothing.
  } finally {
    discard(body);
  }
  return Buffer.concat(chunks).subarray(0, bodySnippetBytes).toString('utf8');
}

function flattenHeaders(
  headers: Record<string, string | string[] | undefined>,
): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers))
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

function pathOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.pathname}${parsed.search}`;
}

/** URLs go into logs and error messages without credentials or query secrets. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.password) {
      parsed.username = '';
      parsed.password = '';
    }
    for (const key of [...parsed.searchParams.keys()]) {
      if (/token|key|secret|signature|password|sig/i.test(key))
        parsed.searchParams.set(key, 'REDACTED');
    }
    return parsed.toString();
  } catch {
    return url;
  }
}
