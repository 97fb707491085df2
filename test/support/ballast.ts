import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { type RunningProcess, startProcess } from './processes.ts';

const mainScript = fileURLToPath(new URL('../../bin/ballast.js', import.meta.url));

export interface BallastProcess {
  url: string;
  dataDir: string;
  configFile: string;
  process: RunningProcess;
  /** Parsed JSON log lines so far. */
  logs(): Record<string, unknown>[];
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Runs the real CLI, `ballast serve --config FILE`, with the given config on 127.0.0.1 and an
 * OS-picked port (read back from the start-up log line).
 */
export async function startBallastProcess(
  config: Record<string, unknown>,
  options: { dataDir?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<BallastProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-e2e-'));
  const dataDir = options.dataDir ?? join(dir, 'data');
  const configFile = join(dir, 'ballast.yaml');
  await writeFile(
    configFile,
    yaml.dump({
      listen: '127.0.0.1:0',
      log: { level: 'info' },
      storage: { fs: { path: dataDir } },
      // Probes would add requests to the upstreams and resolvers tests count; a test of
      // probes sets `probes` itself.
      probes: { enabled: false },
      ...config,
    }),
  );
  const child = await startProcess(
    process.execPath,
    [mainScript, 'serve', '--config', configFile],
    {
      name: 'ballast',
      env: { ...process.env, ...options.env },
      ready: async (output) => /"msg":"ballast is serving"/.test(output),
      readyTimeoutMs: 20_000,
      maxOutputBytes: 4 * 1024 * 1024,
    },
  );
  const logs = () =>
    child
      .output()
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const started = logs().find((line) => line.msg === 'ballast is serving');
  const url = String(started?.address);
  return {
    url,
    dataDir,
    configFile,
    process: child,
    logs,
    stop: () => child.stop(),
    [Symbol.asyncDispose]: () => child.stop(),
  };
}
