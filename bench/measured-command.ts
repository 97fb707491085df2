import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface CommandMeasure {
  seconds: number;
  /** The command's peak RSS (VmHWM), sampled every 20 ms until it exits. */
  peakRssBytes: number;
}

/**
 * Runs a command to completion, timing it and sampling its peak RSS; throws with its stderr
 * when it fails. VmHWM only grows, so the last sample before exit is the peak to within the
 * last 20 ms.
 */
export function runMeasured(
  binary: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs = 300_000,
): Promise<CommandMeasure> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(binary, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = `${stderr}${chunk}`.slice(-4096);
    });
    let peak = 0;
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        peak = Math.max(peak, Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024);
      } catch {
        // Gone already.
      }
    };
    const sampler = setInterval(sample, 20);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (error) => {
      clearInterval(sampler);
      clearTimeout(killer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      const seconds = (performance.now() - started) / 1000;
      clearInterval(sampler);
      clearTimeout(killer);
      if (code === 0) resolve({ seconds, peakRssBytes: peak });
      else
        reject(new Error(`${binary} ${args.join(' ')}: exit ${signal ?? code}: ${stderr.trim()}`));
    });
  });
}
