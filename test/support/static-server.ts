import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** What to do instead of (or before) serving a path. The first action set wins, in this order. */
export interface Fault {
  /** Never answer (until `stop()`). */
  hang?: boolean;
  /** Drop the connection with a TCP RST. */
  reset?: boolean;
  /** Answer this status, with this body and these headers, instead of the file. */
  status?: number;
  body?: string | Uint8Array;
  headers?: OutgoingHttpHeaders;
  /** Send the file's headers (full Content-Length), then its first N bytes, then hang up. */
  truncateAt?: number;
  /** Wait this long first; alone, it makes the file slow to arrive. */
  delayMs?: number;
  /** Apply to the next N requests for the path only, then serve normally again. */
  times?: number;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path without the query. */
  path: string;
  /** The request target as sent: path and query, undecoded. */
  url: string;
  headers: IncomingHttpHeaders;
}

export interface StaticServer {
  url: string;
  port: number;
  /** Every request so far, in arrival order (faulted ones included). */
  readonly requests: RecordedRequest[];
  /** Sets the fault for a path such as `/index.yaml`; `undefined` clears it. */
  setFault(path: string, fault: Fault | undefined): void;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const contentTypes: Record<string, string> = {
  '.yaml': 'application/x-yaml',
  '.yml': 'application/x-yaml',
  '.json': 'application/json',
  '.tgz': 'application/gzip',
  '.gz': 'application/gzip',
};

/**
 * A controllable classic upstream: serves files under `root` on 127.0.0.1 (GET and HEAD,
 * with ETag / Last-Modified and 304s), and answers faults set per path.
 */
export async function startStaticServer(options: {
  root: string;
  /** Every request must carry exactly this Authorization header, else 401 (a private repo). */
  authorization?: string;
}): Promise<StaticServer> {
  const root = resolve(options.root);
  const faults = new Map<string, Fault>();
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
      requests.push({ method: req.method ?? '', path, url: req.url ?? '/', headers: req.headers });
      if (options.authorization && req.headers.authorization !== options.authorization) {
        res.writeHead(401, { 'www-authenticate': 'Bearer realm="private"' }).end();
        return;
      }
      const fault = takeFault(faults, path);
      if (fault?.delayMs) await sleep(fault.delayMs);
      if (fault?.hang) return;
      if (fault?.reset) {
        req.socket.resetAndDestroy();
      } else if (fault?.status) {
        res.writeHead(fault.status, fault.headers).end(fault.body);
      } else {
        await serveFile(resolve(root, `.${path}`), root, req, res, fault?.truncateAt);
      }
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections(); // also the ones a `hang` fault holds open
    });
    return stopping;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setFault: (path, fault) => (fault ? faults.set(path, { ...fault }) : faults.delete(path)),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function takeFault(faults: Map<string, Fault>, path: string): Fault | undefined {
  const fault = faults.get(path);
  if (fault?.times !== undefined && --fault.times <= 0) faults.delete(path);
  return fault;
}

async function serveFile(
  file: string,
  root: string,
  req: IncomingMessage,
  res: ServerResponse,
  truncateAt: number | undefined,
): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405).end();
    return;
  }
  const info = file.startsWith(root + sep) ? await stat(file).catch(() => undefined) : undefined;
  if (!info?.isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  const etag = `"${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}"`;
  const lastModified = info.mtime.toUTCString();
  const since = req.headers['if-modified-since'];
  const unchanged = req.headers['if-none-match']
    ? req.headers['if-none-match'] === etag
    : since !== undefined && Date.parse(since) >= Math.floor(info.mtimeMs / 1000) * 1000;
  if (unchanged) {
    res.writeHead(304, { etag, 'last-modified': lastModified }).end();
    return;
  }
  res.writeHead(200, {
    'content-type': contentTypes[extname(file)] ?? 'application/octet-stream',
    'content-length': info.size,
    etag,
    'last-modified': lastModified,
  });
  if (req.method === 'HEAD') {
    res.end();
  } else if (truncateAt === undefined) {
    await pipeline(createReadStream(file), res);
  } else {
    res.write((await readFile(file)).subarray(0, truncateAt), () => res.destroy());
  }
}
