import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withFreePort } from '../test/support/ports.ts';
import { httpProbe, startProcess } from '../test/support/processes.ts';

const projectRoot = fileURLToPath(new URL('../', import.meta.url));

/** The `ballast` command as installed for users: package.json's `bin`, so the bench runs it. */
async function ballastEntry(): Promise<string> {
  const manifest = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
    bin?: string | Record<string, string>;
  };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.ballast;
  if (!bin) throw new Error('package.json names no ballast command in "bin"');
  return join(projectRoot, bin);
}

export interface BallastUnderTest {
  url: string;
  /** The script that was run (package.json's `bin`). */
  entry: string;
  pid: number;
  /** Path prefix of the mirrored repo: `${url}${repoPath}/index.yaml`. */
  repoPath: string;
  stop(): Promise<void>;
}

export interface BallastUnderTestOptions {
  /** What Ballast mirrors: a classic repository, or `oci://host/namespace`. */
  upstreamUrl: string;
  /** The upstream is a registry without TLS (an `oci://` URL on loopback). */
  plainHttp?: boolean;
  /** Chart names to look up where the upstream has no index (an OCI registry). */
  charts?: readonly string[];
  /** Scratch dir for the config and the store. */
  dir: string;
  /** Write a V8 CPU profile (`--cpu-prof`) into this dir when Ballast exits. */
  cpuProfileDir?: string;
  /** Instead of a store in `dir` (e.g. `{ s3: … }`), and the environment it needs. */
  storage?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  /** File mirrors, as in the config. */
  files?: readonly Record<string, unknown>[];
  /** Ready when this path answers 200 (polled every 50 ms); `/-/readyz` by default. */
  readiness?: { path: string; headers?: Record<string, string>; timeoutMs?: number };
  /** Replaces the one `/bench` repository (the status bench mirrors a hundred). */
  repos?: readonly Record<string, unknown>[];
  /** More top-level config keys, e.g. `probes`. */
  extraConfig?: Record<string, unknown>;
  readyTimeoutMs?: number;
}

/**
 * The real CLI, `ballast serve`, with one mirrored repo (`/bench`) and `log.level: warn` so
 * logging does not dominate the measurement. The test harness's `startBallastProcess` waits for the
 * info-level "ballast is serving" line, which warn suppresses; so this picks a free port
 * itself and waits for `/-/readyz`.
 */
export async function startBallastUnderTest(
  options: BallastUnderTestOptions,
): Promise<BallastUnderTest> {
  const configFile = join(options.dir, 'ballast.yaml');
  const repoPath = '/bench';
  const nodeArgs = options.cpuProfileDir
    ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir]
    : [];
  if (options.cpuProfileDir) await mkdir(options.cpuProfileDir, { recursive: true });
  const entry = await ballastEntry();
  return withFreePort(async (port) => {
    const config = {
      listen: `127.0.0.1:${port}`,
      log: { level: 'warn' },
      storage: options.storage ?? { fs: { path: join(options.dir, 'data') } },
      ...(options.files ? { files: options.files } : {}),
      // Longer than any run, so no background revalidation lands inside a measurement.
      repos: options.repos ?? [
        {
          name: repoPath.slice(1),
          upstreams: [
            { url: options.upstreamUrl, ...(options.plainHttp ? { plainHttp: true } : {}) },
          ],
          ...(options.charts ? { charts: options.charts } : {}),
          refresh: '1h',
        },
      ],
      // No probe requests inside a measurement of serving, unless the bench asks for them.
      probes: { enabled: false },
      ...options.extraConfig,
    };
    // JSON is YAML, and needs no YAML writer.
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const url = `http://127.0.0.1:${port}`;
    const child = await startProcess(
      process.execPath,
      [...nodeArgs, entry, 'serve', '--config', configFile],
      {
        name: 'ballast',
        ...(options.env ? { env: { ...process.env, ...options.env } } : {}),
        ready: httpProbe(
          `${url}${options.readiness?.path ?? '/-/readyz'}`,
          (res) => res.statusCode === 200,
          options.readiness?.headers,
        ),
        readyTimeoutMs: options.readiness?.timeoutMs ?? options.readyTimeoutMs ?? 30_000,
        // Time to write the CPU profile on the way out.
        graceMs: 15_000,
      },
    );
    return { url, entry, pid: child.pid, repoPath, stop: () => child.stop() };
  });
}
