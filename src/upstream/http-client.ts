import type { LookupFunction } from 'node:net';
import { Agent, type Dispatcher } from 'undici';
import { BallastError } from '../errors/ballast-error.ts';
import type { HostPolicy } from './host-policy.ts';
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
  /**
   * Where redirects may lead: every hop must pass it, else the request fails with
   * BALLAST_REDIRECT_HOST_NOT_ALLOWED before anything is sent there.
   */
  hosts: HostPolicy;
  /**
   * Request headers. `authorization` and `cookie` go only to the first URL's origin: a hop
   * to another origin is asked without them (as Helm does without --pass-credentials).
   */
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
const redirectStatuses = new Set([301, 302, 303, 307, 308]);
const redirectBodyBytes = 16 * 1024;
const originBoundHeaders = ['authorization', 'cookie'];
/** Location headers are outside input: messages quote at most this much of one. */
const maxShownUrl = 256;

/**
 * The HTTP client for every upstream, on undici: connect, headers and body timeouts, bounded
 * body sizes, and network errors translated into Ballast's own at this edge. Redirects are
 * followed here, hop by hop, so that each hop is checked against the upstream's host policy
 * before it is requested (undici's redirect interceptor would follow any Location).
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
  const userAgent = options.userAgent ?? 'ballast';

  async function send(url: URL, request: GetOptions, source: string, sameOrigin: boolean) {
    const headers: Record<string, string> = { 'user-agent': userAgent };
    for (const [name, value] of Object.entries(request.headers ?? {})) {
      if (sameOrigin || !originBoundHeaders.includes(name.toLowerCase())) headers[name] = value;
    }
    try {
      return await agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers,
        signal: request.signal,
      });
    } catch (error) {
      throw translateNetworkError(error, source, options.timeouts);
    }
  }

  async function get(url: string, request: GetOptions): Promise<UpstreamResponse> {
    const first = new URL(url);
    const visited = new Set<string>();
    let current = first;
    let source = redact(url);
    for (;;) {
      visited.add(current.href);
      const response = await send(current, request, source, current.origin === first.origin);
      const { statusCode } = response;
      if (!redirectStatuses.has(statusCode)) return answer(response, request, source);
      // Reading a redirect's (small) body lets its connection serve the next hop.
      await response.body.dump({ limit: redirectBodyBytes }).catch(() => {});
      const next = nextHop(current, response.headers.location, source, statusCode);
      const stop = (reason: string) =>
        new BallastError('BALLAST_TOO_MANY_REDIRECTS', { source: redact(url), reason });
      if (visited.has(next.href))
        throw stop(
          next.href === current.href
            ? `${shown(current)} redirects to itself (a loop)`
            : `${shown(current)} redirects back to an earlier hop, ${shown(next)} (a loop)`,
        );
      if (visited.size > options.maxRedirects)
        throw stop(`it redirected more than ${options.maxRedirects} times (maxRedirects)`);
      if (!request.hosts.allows(next))
        throw new BallastError('BALLAST_REDIRECT_HOST_NOT_ALLOWED', {
          source: redact(url),
          from: source,
          to: shown(next),
          allowed: request.hosts.describe(),
        });
      current = next;
      source = `${shown(current)} (redirected from ${redact(url)})`;
    }
  }

  async function answer(
    response: Dispatcher.ResponseData,
    request: GetOptions,
    source: string,
  ): Promise<UpstreamResponse> {
    const { statusCode } = response;
    const headers = flattenHeaders(response.headers);
    if (
      (statusCode < 200 || (statusCode >= 300 && statusCode !== 304)) &&
      !request.acceptStatus?.includes(statusCode)
    ) {
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

/** The URL a redirect points at; a redirect without a usable Location is an error status. */
function nextHop(
  current: URL,
  location: string | string[] | undefined,
  source: string,
  statusCode: number,
): URL {
  const target = Array.isArray(location) ? location[0] : location;
  if (target && URL.canParse(target, current.href)) {
    const next = new URL(target, current);
    next.hash = '';
    return next;
  }
  throw new BallastError('BALLAST_UPSTREAM_STATUS', {
    source,
    statusCode,
    bodySnippet: 'a redirect without a usable Location header',
  });
}

function shown(url: URL): string {
  const text = redact(url.href);
  return text.length > maxShownUrl ? `${text.slice(0, maxShownUrl)}…` : text;
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
