import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { HostPolicy } from './host-policy.ts';
import type { HttpClient, UpstreamResponse } from './http-client.ts';
import type { RegistryAuth } from './oci-token-auth.ts';

export interface TransportRequest {
  /** The token scope the request needs (`repository:ns/chart:pull`), '' for none. */
  scope: string;
  what: string;
  maxBytes: number;
  accept?: string;
  signal?: AbortSignal;
}

/** GETs against one registry, answering its 401 challenges once per request. */
export interface RegistryTransport {
  open(path: string, request: TransportRequest): Promise<UpstreamResponse>;
  get(
    path: string,
    request: TransportRequest,
  ): Promise<{ status: number; headers: UpstreamResponse['headers']; body: Buffer }>;
  /**
   * A path for a `Link` target, which may be relative or absolute; refused (so no credentials
   * or tokens travel there) when it points at another origin than the registry.
   */
  pathOf(link: string): string;
}

export interface RegistryTransportOptions {
  http: HttpClient;
  /** Where redirects may lead (blobs are often redirected to a CDN). */
  hosts: HostPolicy;
  auth: RegistryAuth;
  /** `https://registry[:port]` (or http with plainHttp). */
  base: string;
  label: string;
}

export function createRegistryTransport({
  http,
  hosts,
  auth,
  base,
  label,
}: RegistryTransportOptions): RegistryTransport {
  const origin = new URL(base).origin;

  async function open(path: string, request: TransportRequest): Promise<UpstreamResponse> {
    const url = `${origin}${path}`;
    const headers = (authorization: string | undefined) => ({
      ...(request.accept ? { accept: request.accept } : {}),
      ...(authorization ? { authorization } : {}),
    });
    const common = {
      what: request.what,
      maxBytes: request.maxBytes,
      hosts,
      signal: request.signal,
    };
    const first = await http.get(url, {
      ...common,
      headers: headers(auth.headerFor(request.scope)),
      acceptStatus: [401],
    });
    if (first.status !== 401) return first;
    const challenge = first.headers['www-authenticate'];
    await discard(first.body);
    const authorization = await auth.answer(challenge, request.scope, request.signal);
    try {
      return await http.get(url, { ...common, headers: headers(authorization) });
    } catch (error) {
      if (isBallastError(error, 'BALLAST_UPSTREAM_STATUS') && error.details.statusCode === 401) {
        auth.forget(request.scope);
        const access = request.scope ? `access ${request.scope}` : 'access';
        throw new BallastError(
          'BALLAST_OCI_AUTH_FAILED',
          {
            source: label,
            reason: `the registry still answers 401 after authenticating: no ${access} with these credentials`,
          },
          { cause: error },
        );
      }
      throw error;
    }
  }

  return {
    open,
    async get(path, request) {
      const response = await open(path, request);
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk);
      return { status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
    },
    pathOf(link) {
      let target: URL;
      try {
        target = new URL(link, origin);
      } catch {
        throw new BallastError('BALLAST_OCI_RESPONSE_INVALID', {
          what: 'Link header',
          source: label,
          reason: `${JSON.stringify(link)} is not a URL`,
        });
      }
      if (target.origin !== origin)
        throw new BallastError('BALLAST_OCI_RESPONSE_INVALID', {
          what: 'Link header',
          source: label,
          reason: `the next page is on another origin (${target.origin})`,
        });
      return `${target.pathname}${target.search}`;
    },
  };
}

/** Reads no more of an error body than its first chunk; closing it frees the connection. */
async function discard(body: AsyncIterable<Buffer>): Promise<void> {
  try {
    for await (const _ of body) break;
  } catch {
    // A broken 401 body changes nothing: the challenge is in the header.
  }
}
