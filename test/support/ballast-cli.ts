import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

const entry = fileURLToPath(new URL('../../bin/ballast.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Called once the process runs, e.g. to interrupt it at the right moment. */
  onSpawn?: (pid: number) => void;
}

/** Runs the real CLI (`ballast ARGS…`) with this test's Node 24; killed if it outlives the timeout. */
export function runBallastCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('spawn', () => options.onSpawn?.(child.pid as number));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The JSON a `--json` run printed; throws with the output when it is not JSON. */
export function cliJson<T = Record<string, unknown>>(run: CliRun): T {
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}

/** Writes a config (listening on an OS-picked loopback port) into `dir`; returns its path. */
export async function writeBallastConfig(
  dir: string,
  name: string,
  config: Record<string, unknown>,
): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(file, yaml.dump({ listen: '127.0.0.1:0', log: { level: 'warn' }, ...config }));
  return file;
}
