import { spawn } from 'node:child_process';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TestDnsServer } from './dnsmasq.ts';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const entry = fileURLToPath(new URL('../../bin/ballast.js', import.meta.url));

export interface DoctorRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real CLI, `ballast doctor …`, as a child process with this test's Node (24), from the repository
 * root, and kills it if it outlives `timeoutMs`.
 */
export function runDoctor(
  args: readonly string[],
  options: { stdin?: string | Buffer; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<DoctorRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, 'doctor', ...args], {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.stdin ?? '');
  });
}

/** The JSON report of a `--json` run. */
export function json<T = Record<string, unknown>>(run: DoctorRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

export interface LiveFinding {
  rule: string;
  message: string;
  position?: { file: string; line: number };
}

/** The JSON of `doctor dns --live [--trace]`, as far as the live tests read it. */
export interface LiveReport {
  exitCode: number;
  findings: LiveFinding[];
  traces: Array<{
    queries: Array<{
      name: string;
      type: string;
      hops: Array<{
        server: string;
        block?: string;
        live?: Array<{
          target: string;
          transport: string;
          result: { status: string; rcode?: string; answers: string[] };
        }>;
      }>;
    }>;
  }>;
  live: {
    targets: Array<{ target: string; verdict: string; position: { line: number } }>;
    shadowing: Array<{ zone: string; name: string; shadows: boolean }>;
    queriesSent: number;
  };
}

/** DNS servers a test file starts, all stopped when the file is done. */
export function keepDnsServers(): <T extends TestDnsServer>(server: Promise<T>) => Promise<T> {
  const servers: TestDnsServer[] = [];
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  return async (server) => {
    const started = await server;
    servers.push(started);
    return started;
  };
}
