import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIPv6, type LookupFunction } from 'node:net';

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  url: URL;
  redirects: string[];
}

export interface HttpGetOptions {
  /** Resolves a host to the address to use; the doctor never lets Node's resolver choose. */
  addressFor(host: string): Promise<string | undefined>;
  ca?: string[];
  timeoutMs: number;
  maxBytes: number;
  headers?: Record<string, string>;
  maxRedirects?: number;
  /** GET unless told; probes of file mirrors only ask whether a file is there. */
  method?: 'GET' | 'HEAD';
  userAgent?: string;
}

export class HttpGetError extends Error {
  readonly url: string;
  constructor(url: string, message: string) {
    super(message);
    this.name = 'HttpGetError';
    this.url = url;
  }
}

/** GET (or HEAD) with redirects, a size cap and a deadline, connecting to addresses the stages chose. */
export async function httpGet(start: URL, options: HttpGetOptions): Promise<HttpResponse> {
  const redirects: string[] = [];
  let url = start;
  for (let hop = 0; hop <= (options.maxRedirects ?? 5); hop++) {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const address = await options.addressFor(host);
    if (!address) throw new HttpGetError(url.href, `${host} does not resolve`);
    const response = await getOnce(url, address, options);
    const location = response.headers.location;
    if (response.status >= 300 && response.status < 400 && location) {
      redirects.push(`${response.status} ${url.href} -> ${location}`);
      url = new URL(location, url);
      continue;
    }
    return { ...response, url, redirects };
  }
  throw new HttpGetError(url.href, `more than ${options.maxRedirects ?? 5} redirects`);
}

function getOnce(
  url: URL,
  address: string,
  options: HttpGetOptions,
): Promise<Omit<HttpResponse, 'url' | 'redirects'>> {
  const family = isIPv6(address) ? 6 : 4;
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveOnce, rejectOnce) => {
    let settled = false;
    const resolve = (value: Omit<HttpResponse, 'url' | 'redirects'>) => {
      if (!settled) resolveOnce(value);
      settled = true;
    };
    const reject = (error: Error) => {
      if (!settled) rejectOnce(error);
      settled = true;
    };
    const req = request(url, {
      method: options.method ?? 'GET',
      lookup,
      ca: options.ca,
      headers: {
        'user-agent': options.userAgent ?? 'ballast-doctor',
        accept: '*/*',
        ...options.headers,
      },
    });
    const timer = setTimeout(() => {
      req.destroy(
        new HttpGetError(url.href, `no complete response within ${options.timeoutMs} ms`),
      );
    }, options.timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        error instanceof HttpGetError
          ? error
          : new HttpGetError(url.href, error.code ?? error.message),
      );
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          req.destroy(new HttpGetError(url.href, `body larger than ${options.maxBytes} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => {
        clearTimeout(timer);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
      res.on('error', (error) => {
        clearTimeout(timer);
        reject(new HttpGetError(url.href, error.message));
      });
    });
    req.end();
  });
}
