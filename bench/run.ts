import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { peerBinary } from '../test/support/debian-peers.ts';
import { readBallastMemory } from './ballast-memory.ts';
import {
  type BenchOptions,
  BenchUsageError,
  benchUsage,
  parseBenchOptions,
} from './bench-options.ts';
import { type BenchReport, formatReport, ratiosOf } from './bench-report.ts';
import { type BenchServers, startBenchServers } from './bench-setup.ts';
import { formatProfileSummary, summariseProfileFile } from './cpu-profile-summary.ts';
import { type CaseResult, type LoadShape, runCase, type Target } from './measure.ts';
import { machineBusyCpuSeconds, processFamily, resetPeakMemory } from './proc-stats.ts';

/** The targets: Ballast's requests per second over nginx's, per case. */
const targets = { index: 1.0, chart: 0.8 };
/** "A repo with a 10,000-version index stays under 150 MB RSS while serving." */
const memoryLimitBytes = 150 * 2 ** 20;

const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

async function main(): Promise<void> {
  const options = optionsOrUsage();
  if (!options) return;
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new Error(`node ${process.version}: run the bench with npm run bench (Node 24)`);
  }
  // Before any work, so a missing Debian peer fails at once with the package to install.
  const machine = {
    cores: availableParallelism(),
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryBytes: totalmem(),
    kernel: release(),
    node: process.version,
    nginx: versionLine(peerBinary('nginx'), ['-v']).replace(/^nginx version: /, ''),
    wrk: versionLine(peerBinary('wrk'), ['--version']).replace(/ Copyright.*$/, ''),
  };
  progress('writing the repo and starting Ballast, two nginx and the upstream');
  const servers = await startBenchServers(options);
  try {
    const report = await measureAll(servers, options, machine);
    let profileText = '';
    if (servers.profileDir) {
      await servers.ballast.stop(); // V8 writes the profile as the process exits
      const kept = await keepProfile(servers.profileDir, dirname(options.out));
      const summary = await summariseProfileFile(kept);
      report.profile = { file: kept, ...summary };
      profileText = `\n\n${formatProfileSummary(summary)}\n(open ${kept} in Chrome DevTools)`;
    }
    console.log(`\n${formatReport(report)}${profileText}`);
    await mkdir(dirname(options.out), { recursive: true });
    await writeFile(options.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nresults written to ${options.out}`);
  } finally {
    await servers.close();
  }
}

async function measureAll(
  servers: BenchServers,
  options: BenchOptions,
  machine: BenchReport['machine'],
): Promise<BenchReport> {
  const { repo, ballast, nginxOnTheFly, nginxStatic, urls } = servers;
  const memory = () => readBallastMemory(ballast.pid, ballast.url);
  const afterStart = await memory();
  const backgroundCpuCores = await busyCores(1000);
  const shape: LoadShape = {
    durationSec: options.durationSec,
    warmupSec: options.warmupSec,
    connections: options.connections,
    threads: options.threads,
    // What Helm's Go HTTP client sends by itself.
    headers: { 'Accept-Encoding': 'gzip' },
  };
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
  const cases: CaseResult[] = [];
  let servingIndex: BenchReport['memory']['servingIndex'];
  for (const id of options.cases) {
    if (id === 'index') {
      // From here VmHWM is the peak while serving, not the start-up parse of the index.
      const peakSinceStart = !resetPeakMemory(ballast.pid);
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
      cases.push(result);
      servingIndex = { ...(await memory()), peakSinceStart };
    } else {
      const title = `chart ${Math.round(repo.chartBytes / 1024)} KiB`;
      const result = await runCase(
        { id, title, rounds },
        shape,
        [
          ballastTarget(urls.ballastChart),
          nginxTarget('nginx', `${nginxOnTheFly.url}/${repo.chartFile}`, nginxOnTheFly.pid),
        ],
        progress,
      );
      cases.push(result);
    }
  }
  const { out: _out, ...reportedOptions } = options;
  const { dir: _dir, ...reportedRepo } = repo;
  return {
    startedAt: new Date().toISOString(),
    machine,
    ballastCommand: `node ${relative(projectRoot, ballast.entry)}`,
    options: reportedOptions,
    repo: reportedRepo,
    cases,
    ratios: ratiosOf(cases, targets),
    backgroundCpuCores,
    memory: {
      afterStart,
      ...(servingIndex ? { servingIndex } : {}),
      atEnd: await memory(),
      limitBytes: memoryLimitBytes,
    },
  };
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

/** Copies Ballast's CPU profile next to the JSON results, out of the scratch dir. */
async function keepProfile(profileDir: string, resultsDir: string): Promise<string> {
  const file = (await readdir(profileDir)).find((name) => name.endsWith('.cpuprofile'));
  if (!file) throw new Error(`Ballast wrote no CPU profile into ${profileDir}`);
  await mkdir(resultsDir, { recursive: true });
  const kept = join(resultsDir, 'ballast.cpuprofile');
  await copyFile(join(profileDir, file), kept);
  return kept;
}

/** The first line a tool prints about its version (nginx and wrk print it to stderr). */
function versionLine(binary: string, args: string[]): string {
  const { stdout, stderr } = spawnSync(binary, args, { encoding: 'utf8', timeout: 10_000 });
  return `${stdout ?? ''}${stderr ?? ''}`.split('\n').find(Boolean)?.trim() ?? 'unknown';
}

await main();
