import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { createServer, type OutgoingHttpHeaders } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Socket } from 'node:net';
import { resolve, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What one request gets instead of (or on top of) the file. The first action set wins, in this order. */
export interface FaultAction {
  /** Wait this long first; alone, the file arrives late. */
  delayMs?: number;
  /** Accept the request, never answer (until `stop()` or `down()`). */
  hang?: boolean;
  /** Drop the connection with a TCP RST. */
  reset?: boolean;
  /** Answer this status with this body and these headers instead of the file. */
  status?: number;
  body?: string | Uint8Array;
  headers?: OutgoingHttpHeaders;
  /** Send the full Content-Length, then only this many bytes, then hang up. */
  truncateAt?: number;
  /** Send the file with one byte flipped: right length, wrong bytes. */
  corrupt?: boolean;
}

/** Decides, request by request, what the upstream does; `n` counts requests from 0. */
export type FaultPlan = (request: {
  method: string;
  path: string;
  n: number;
}) => FaultAction | undefined;

export interface FaultedRequest {
  method: string;
  path: string;
  /**
   * `ok`, `not-modified`, `not-found`, or the fault: `reset`, `hang`, `status-503`, `truncate`,
   * `corrupt`, `slow`.
   */
  outcome: string;
  at: number;
}

export interface FaultUpstream {
  url: string;
  port: number;
  /** Every request so far, in arrival order. */
  readonly requests: FaultedRequest[];
  /** Replaces the plan; `undefined` serves every file as it is. */
  setPlan(plan: FaultPlan | undefined): void;
  /** Stops listening and drops every connection: new connections are refused. */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A classic repository upstream on 127.0.0.1 that serves the files under `root` (GET and
 * HEAD, with an ETag and 304 for a matching If-None-Match when no fault applies) and
 * misbehaves request by request as its plan says: 404/5xx with given bodies, resets, stalls,
 * truncated or corrupted bodies, delays. Files are read per request, so a test may rewrite them.
 */
export async function startFaultUpstream(options: {
  root: string;
  plan?: FaultPlan;
}): Promise<FaultUpstream> {
  const root = resolve(options.root);
  let plan = options.plan;
  let count = 0;
  const requests: FaultedRequest[] = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const method = req.method ?? 'GET';
    const action = plan?.({ method, path, n: count++ }) ?? {};
    const record = (outcome: string) => requests.push({ method, path, outcome, at: Date.now() });
    try {
      if (action.delayMs) await sleep(action.delayMs);
      if (action.hang) return record('hang');
      if (action.reset) {
        record('reset');
        req.socket.resetAndDestroy();
        return;
      }
      if (action.status) {
        record(`status-${action.status}`);
        res.writeHead(action.status, action.headers).end(action.body);
        return;
      }
      const file = resolve(root, `.${path}`);
      const bytes = file.startsWith(root + sep)
        ? await readFile(file).catch(() => undefined)
        : undefined;
      if (!bytes || (method !== 'GET' && method !== 'HEAD')) {
        record('not-found');
        res.writeHead(bytes ? 405 : 404, { 'content-type': 'text/plain' }).end('not found\n');
        return;
      }
      const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
      const faulted = action.truncateAt !== undefined || action.corrupt;
      if (!faulted && req.headers['if-none-match'] === etag) {
        record('not-modified');
        res.writeHead(304, { etag }).end();
        return;
      }
      res.writeHead(200, {
        'content-type': path.endsWith('.yaml') ? 'application/x-yaml' : 'application/gzip',
        'content-length': bytes.length,
        etag,
      });
      if (method === 'HEAD') {
        record('ok');
        res.end();
      } else if (action.truncateAt !== undefined) {
        record('truncate');
        res.write(bytes.subarray(0, Math.min(action.truncateAt, bytes.length - 1)), () =>
          res.destroy(),
        );
      } else if (action.corrupt) {
        record('corrupt');
        const corrupted = Buffer.from(bytes);
        const at = Math.floor(corrupted.length / 2);
        corrupted[at] = (corrupted[at] ?? 0) ^ 0x5a;
        res.end(corrupted);
      } else {
        record(action.delayMs ? 'slow' : 'ok');
        res.end(bytes);
      }
    } catch (error) {
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  let listening = true;
  const down = async () => {
    if (!listening) return;
    listening = false;
    const closed = new Promise<void>((done) => server.close(() => done()));
    server.closeAllConnections(); // the hung ones too
    await closed;
  };
  const up = async () => {
    if (listening) return;
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    listening = true;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    setPlan(next) {
      plan = next;
    },
    down,
    up,
    stop: down,
    [Symbol.asyncDispose]: down,
  };
}

export interface Blackhole {
  url: string;
  port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A TCP server on 127.0.0.1 that accepts every connection and never sends a byte; on `port`
 * when given (e.g. the port of an upstream just taken down), else on one the OS picks.
 */
export async function startBlackhole(options: { port?: number } = {}): Promise<Blackhole> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server = createTcpServer((socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // read and drop whatever the client sends
  });
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= new Promise<void>((done) => {
      server.close(() => done());
      for (const socket of sockets) socket.destroy();
    });
    return stopping;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
