import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { type IncomingMessage, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Resolves true once the process serves; polled until then (a throw counts as "not yet").
 * Gets the output so far, for peers that announce readiness or their port in a log line.
 */
export type ReadyProbe = (output: string) => Promise<boolean>;

export interface StartOptions {
  /** Name in error messages; defaults to the command's base name. */
  name?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  ready?: ReadyProbe;
  readyTimeoutMs?: number;
  /** Keep this many of the last bytes of stdout and stderr together. */
  maxOutputBytes?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  graceMs?: number;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface RunningProcess {
  readonly pid: number;
  /** The captured stdout and stderr, interleaved, cut to the last `maxOutputBytes`. */
  output(): string;
  readonly exited: Promise<Exit>;
  /** SIGTERM, then SIGKILL after the grace period; safe to call more than once. */
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Spawns a long-running peer in its own process group (so workers it forks die with it),
 * captures its output and waits until `ready` says it serves. It is killed when the test
 * process exits, even if a test forgets `stop()`.
 */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<RunningProcess> {
  const name = options.name ?? basename(command);
  const tail = new OutputTail(options.maxOutputBytes ?? 64 * 1024);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stdout.on('data', (chunk: Buffer) => tail.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => tail.push(chunk));
  let exit: Exit | undefined;
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      live.delete(child);
      resolve(exit);
    }),
  );
  await once(child, 'spawn').catch((error: Error) => {
    throw new Error(`${name}: cannot start ${command}: ${error.message}`);
  });
  live.add(child);
  killOnExit();
  // A forgotten peer must not keep the test file alive; the exit hook still kills it.
  child.unref();
  (child.stdout as Socket).unref();
  (child.stderr as Socket).unref();

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (!exit) {
        child.ref();
        killGroup(child, 'SIGTERM');
        const timer = setTimeout(() => killGroup(child, 'SIGKILL'), options.graceMs ?? 2000);
        await exited;
        clearTimeout(timer);
      }
      killGroup(child, 'SIGKILL'); // whatever the leader left behind in its group
    })();
    return stopping;
  };
  const running: RunningProcess = {
    pid: child.pid as number,
    output: () => tail.toString(),
    exited,
    stop,
    [Symbol.asyncDispose]: stop,
  };
  if (!options.ready) return running;

  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await options.ready(tail.toString()).catch(() => false)) return running;
    let problem: string | undefined;
    if (exit) problem = `exited (code ${exit.code}, signal ${exit.signal}) before it was ready`;
    else if (Date.now() > deadline) problem = `was not ready within ${timeoutMs} ms`;
    if (problem) {
      await stop();
      const commandLine = [command, ...args].join(' ');
      throw new Error(`${name} ${problem}\ncommand: ${commandLine}\noutput:\n${tail}`);
    }
    await sleep(50);
  }
}

/** Ready once something accepts TCP connections on the port. */
export function tcpProbe(port: number, host = '127.0.0.1'): () => Promise<boolean> {
  return () =>
    new Promise((resolve) => {
      const socket = connect({ port, host });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
}

/** Ready once a GET of the URL gets an answer `accept` likes (default: a status below 500). */
export function httpProbe(
  url: string,
  accept = (res: IncomingMessage) => (res.statusCode ?? 0) < 500,
  headers: Record<string, string> = {},
): () => Promise<boolean> {
  return () =>
    new Promise((resolve) => {
      const req = request(url, { agent: false, timeout: 2000, headers }, (res) => {
        res.resume();
        resolve(accept(res));
      });
      req.once('error', () => resolve(false));
      req.once('timeout', () => req.destroy());
      req.end();
    });
}

const live = new Set<ChildProcess>();
let hooked = false;

function killOnExit(): void {
  if (hooked) return;
  hooked = true;
  const killAll = () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  };
  process.once('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll();
      // Keep the default behaviour (dying of the signal) unless someone else handles it.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** The last `max` bytes written, so a chatty peer cannot fill the test's memory. */
class OutputTail {
  readonly #max: number;
  #chunks: Buffer[] = [];
  #bytes = 0;
  #dropped = 0;

  constructor(max: number) {
    this.#max = max;
  }

  push(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#bytes += chunk.length;
    while (this.#bytes > this.#max) {
      const first = this.#chunks[0] as Buffer;
      const excess = Math.min(first.length, this.#bytes - this.#max);
      if (excess === first.length) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(excess);
      this.#bytes -= excess;
      this.#dropped += excess;
    }
  }

  toString(): string {
    const text = Buffer.concat(this.#chunks).toString('utf8');
    return this.#dropped ? `[${this.#dropped} earlier bytes dropped]\n${text}` : text;
  }
}
