import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { peerBinary } from '../test/support/debian-peers.ts';

const execFileAsync = promisify(execFile);
const summaryScript = fileURLToPath(new URL('./wrk-summary.lua', import.meta.url));

export interface LoadOptions {
  url: string;
  headers?: Record<string, string>;
  durationSec: number;
  connections: number;
  threads: number;
}

export interface LoadResult {
  requests: number;
  durationSec: number;
  requestsPerSec: number;
  /** Response bytes read per second, headers included. */
  bytesPerSec: number;
  /** Mean bytes per response, headers included. */
  bytesPerResponse: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latencyMs: { mean: number; p50: number; p90: number; p99: number; max: number };
}

/**
 * Debian's `wrk` against one URL, bounded by `durationSec`; the numbers come from the Lua
 * `done` hook in wrk-summary.lua. Any failed request (socket error, timeout, status >= 400)
 * throws, since a benchmark of errors says nothing about serving.
 */
export async function runWrk(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname)) {
    throw new Error(`wrk: only loopback targets are allowed, got ${options.url}`);
  }
  const args = [
    ...['-t', String(options.threads), '-c', String(options.connections)],
    ...['-d', `${options.durationSec}s`, '--timeout', '10s', '-s', summaryScript],
    ...Object.entries(options.headers ?? {}).flatMap(([name, value]) => [
      '-H',
      `${name}: ${value}`,
    ]),
    options.url,
  ];
  const { stdout } = await execFileAsync(peerBinary('wrk'), args, {
    // wrk stops itself after -d; this only catches a hung wrk.
    timeout: (options.durationSec + 30) * 1000,
    killSignal: 'SIGKILL',
  });
  const result = parseWrkSummary(stdout);
  const failed = Object.entries(result.errors).filter(([, count]) => count > 0);
  if (failed.length > 0 || result.requests === 0) {
    const what = failed.map(([kind, count]) => `${kind} ${count}`).join(', ') || 'no requests';
    throw new Error(`wrk ${options.url}: requests failed (${what})\n${stdout}`);
  }
  return result;
}

/** Reads the `WRK_SUMMARY {json}` line that wrk-summary.lua prints. */
export function parseWrkSummary(output: string): LoadResult {
  const line = output.split('\n').find((l) => l.startsWith('WRK_SUMMARY '));
  if (!line) throw new Error(`wrk printed no summary line:\n${output}`);
  const raw = JSON.parse(line.slice('WRK_SUMMARY '.length)) as {
    requests: number;
    durationUs: number;
    bytes: number;
    errors: LoadResult['errors'];
    latencyUs: Record<keyof LoadResult['latencyMs'], number>;
  };
  const durationSec = raw.durationUs / 1e6;
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    requests: raw.requests,
    durationSec,
    requestsPerSec: raw.requests / durationSec,
    bytesPerSec: raw.bytes / durationSec,
    bytesPerResponse: raw.requests > 0 ? Math.round(raw.bytes / raw.requests) : 0,
    errors: raw.errors,
    latencyMs: {
      mean: ms(raw.latencyUs.mean),
      p50: ms(raw.latencyUs.p50),
      p90: ms(raw.latencyUs.p90),
      p99: ms(raw.latencyUs.p99),
      max: ms(raw.latencyUs.max),
    },
  };
}
