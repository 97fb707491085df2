import { createServer, request, type Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { listenOnLoopback } from './loopback-server.ts';
import { createSeededRandom, pick } from './seeded-random.ts';

/** What the proxy does to one request instead of (or while) passing it on. */
export type S3Fault = 'reset' | 'slow-down' | 'internal-error' | 'stall' | 'cut-body';

export interface S3FaultProxyOptions {
  /** The S3 endpoint behind, e.g. `http://127.0.0.1:PORT`. */
  target: string;
  seed: number;
  /** Share of requests that get a fault while chaos is on. */
  rate: number;
  /** No more faults than this in all, however long chaos is on. */
  maxFaults: number;
  /** How long a stalled request is held before its connection is dropped. */
  stallMs: number;
}

export interface S3FaultProxy {
  /** `http://127.0.0.1:PORT`: give it to Ballast as its S3 endpoint. */
  url: string;
  chaos: boolean;
  /** Faults injected so far, by kind, and requests passed on untouched. */
  readonly counts: Record<S3Fault | 'passed', number>;
  stop(): Promise<void>;
}

const slowDown = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`;
const internalError = `<?xml version="1.0" encoding="UTF-8"?>
<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>`;

/**
 * An HTTP proxy on loopback between Ballast and an S3 server that, while `chaos` is on,
 * answers a seeded share of requests with a fault: a TCP reset, 503 SlowDown, 500
 * InternalError, a stall (nothing, then a dropped connection), or a response body cut off
 * midway. Signatures stay valid: requests are passed on byte for byte, Host included.
 */
export async function startS3FaultProxy(options: S3FaultProxyOptions): Promise<S3FaultProxy> {
  const random = createSeededRandom(options.seed);
  const target = new URL(options.target);
  const counts: S3FaultProxy['counts'] = {
    reset: 0,
    'slow-down': 0,
    'internal-error': 0,
    stall: 0,
    'cut-body': 0,
    passed: 0,
  };
  const state = { chaos: false };
  const faults = (): number => Object.values(counts).reduce((a, b) => a + b, 0) - counts.passed;

  const server: Server = createServer(async (req, res) => {
    const fault =
      state.chaos && faults() < options.maxFaults && random() < options.rate
        ? pick<S3Fault>(random, ['reset', 'slow-down', 'internal-error', 'stall', 'cut-body'])
        : undefined;
    counts[fault ?? 'passed'] += 1;
    if (fault === 'reset') return req.socket.resetAndDestroy();
    if (fault === 'stall') {
      await sleep(options.stallMs);
      return req.socket.destroy();
    }
    if (fault === 'slow-down' || fault === 'internal-error') {
      req.resume();
      const body = fault === 'slow-down' ? slowDown : internalError;
      res.writeHead(fault === 'slow-down' ? 503 : 500, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(body),
      });
      return res.end(body);
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if (fault !== 'cut-body') return answer.pipe(res);
        // Half of what the body has, then the connection goes.
        let left = Math.floor(Number(answer.headers['content-length'] ?? 0) / 2);
        answer.on('data', (chunk: Buffer) => {
          if (left <= 0) return;
          res.write(chunk.subarray(0, left));
          left -= chunk.length;
          if (left <= 0) {
            answer.destroy();
            req.socket.destroy();
          }
        });
        answer.on('end', () => res.end());
      },
    );
    upstream.on('error', () => req.socket.destroy());
    req.pipe(upstream);
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    get chaos() {
      return state.chaos;
    },
    set chaos(on: boolean) {
      state.chaos = on;
    },
    counts,
    stop: listening.stop,
  };
}
