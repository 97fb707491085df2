import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { peerBinary } from '../test/support/debian-peers.ts';
import { eventually } from '../test/support/http.ts';
import { writeRandomChartRepo } from '../test/support/random-chart-repo.ts';
import { helmStyleGet, sha256Hex } from '../test/support/resilience-e2e.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';
import {
  type ColdChartCaseResult,
  formatResilienceReport,
  type IndexCaseResult,
  type ResilienceReport,
} from './resilience-report.ts';
import {
  type BenchBallast,
  type SwitchableUpstream,
  startBenchBallast,
  startSwitchableUpstream,
  type UpstreamState,
} from './resilience-setup.ts';
import { runWrk } from './wrk.ts';

// The latency a client sees from Ballast while its upstreams fail: a cached index while every
// upstream is down or blackholed (target: p99 within 2× of healthy), and cold chart fetches
// while the first upstream is blackholed (target: under 1.5 s with hedging at defaults).

const usage = `usage: npm run bench:resilience -- [options]
  --duration 5s     measured seconds per index case and round (1s to 60s)
  --rounds 3        rounds of the index cases (median reported)
  --connections 4   wrk connections for the index cases
  --charts 30       cold chart fetches per cold-chart case
  --out FILE        JSON results (default bench/results/resilience.json)`;

/** Revalidation interval: short, so revalidations meet the failure during every measurement. */
const refresh = '2s';
const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

function options() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '5s' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '4' },
      charts: { type: 'string', default: '30' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const whole = (name: string, text: string, min: number, max: number) => {
    const value = Number(text.replace(/s$/, ''));
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new Error(
        `--${name}: expected a whole number from ${min} to ${max}, got ${text}\n${usage}`,
      );
    }
    return value;
  };
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return {
    durationSec: whole('duration', values.duration, 1, 60),
    rounds: whole('rounds', values.rounds, 1, 10),
    connections: whole('connections', values.connections, 1, 256),
    coldCharts: whole('charts', values.charts, 1, 200),
    out: resolve(
      values.out ?? fileURLToPath(new URL('./results/resilience.json', import.meta.url)),
    ),
  };
}

async function main(): Promise<void> {
  const opts = options();
  if (Number(process.versions.node.split('.')[0]) < 24) {
    throw new Error(`node ${process.version}: run it with npm run bench:resilience (Node 24)`);
  }
  const wrk = peerBinary('wrk'); // a missing Debian package stops the run here, named
  const work = await tempDir('bench-resilience');
  const stops: (() => Promise<void>)[] = [() => removeDir(work)];
  try {
    progress('writing a 1,000-version repository and starting two upstreams');
    const repo = await writeRandomChartRepo(join(work, 'repo'), {
      names: 50,
      versions: 20,
      minBytes: 4 * 1024,
      maxBytes: 16 * 1024,
      seed: 'bench-resilience',
    });
    const upstreams = [
      await startSwitchableUpstream(repo.dir),
      await startSwitchableUpstream(repo.dir),
    ];
    for (const u of upstreams) stops.push(() => u.stop());

    const index = await indexCases(work, upstreams, opts, stops);
    const coldChart: ColdChartCaseResult[] = [];
    for (const state of ['blackholed', 'down'] as const) {
      coldChart.push(await coldChartCase(work, upstreams, state, repo.charts, opts.coldCharts));
    }
    const report: ResilienceReport = {
      startedAt: new Date().toISOString(),
      machine: {
        cores: availableParallelism(),
        cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
        node: process.version,
        wrk: firstLine(wrk, ['--version']).replace(/ Copyright.*$/, ''),
      },
      options: {
        durationSec: opts.durationSec,
        rounds: opts.rounds,
        connections: opts.connections,
        coldCharts: opts.coldCharts,
      },
      repo: {
        versions: repo.charts.length,
        indexBytes: (await readFile(repo.indexPath)).length,
      },
      index,
      coldChart,
    };
    console.log(`\n${formatResilienceReport(report)}`);
    await mkdir(dirname(opts.out), { recursive: true });
    await writeFile(opts.out, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nresults written to ${opts.out}`);
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  }
}

/** One Ballast with the index cached; every upstream healthy, down, blackholed, in rounds. */
async function indexCases(
  work: string,
  upstreams: SwitchableUpstream[],
  opts: ReturnType<typeof options>,
  stops: (() => Promise<void>)[],
): Promise<IndexCaseResult[]> {
  const dir = join(work, 'ballast-index');
  await mkdir(dir);
  const ballast = await startBenchBallast({ upstreams: upstreams.map((u) => u.url), dir, refresh });
  stops.push(() => ballast.stop());
  const url = `${ballast.url}/bench/index.yaml`;
  await eventually(async () => {
    if ((await helmStyleGet(url)).status !== 200) throw new Error('index not served yet');
  }, 30_000);
  const cases = new Map<UpstreamState, IndexCaseResult>();
  for (let round = 1; round <= opts.rounds; round++) {
    for (const state of ['healthy', 'down', 'blackholed'] as const) {
      for (const u of upstreams) await u.set(state);
      if (state === 'healthy') {
        // Back to a fresh index first: breakers opened by the last round stay open for their
        // cool-down (30 s by default), and the baseline should be a Ballast that sees no trouble.
        await eventually(async () => {
          if ((await helmStyleGet(url)).headers['ballast-stale']) throw new Error('still stale');
        }, 60_000);
      } else {
        // Past one refresh interval, so revalidations meet this state during the measurement.
        await sleep(2_500);
      }
      const result = cases.get(state) ?? { upstreams: state, rounds: [], servedAs: [] };
      cases.set(state, result);
      progress(`index, every upstream ${state}, round ${round}/${opts.rounds}`);
      try {
        const load = {
          url,
          headers: { 'Accept-Encoding': 'gzip' },
          connections: opts.connections,
          threads: 1,
        };
        await runWrk({ ...load, durationSec: 1 }); // unmeasured: V8 compiles the hot path
        const measured = await runWrk({ ...load, durationSec: opts.durationSec });
        result.rounds.push({
          requestsPerSec: measured.requestsPerSec,
          p50Ms: measured.latencyMs.p50,
          p99Ms: measured.latencyMs.p99,
          maxMs: measured.latencyMs.max,
        });
      } catch (error) {
        result.error = (error as Error).message.split('\n')[0];
      }
      // What the index was served as by the end of the measurement.
      const stale = (await helmStyleGet(url, 10_000)).headers['ballast-stale'];
      result.servedAs.push(stale ? `stale (${stale})` : 'fresh');
    }
  }
  for (const u of upstreams) await u.set('healthy');
  await ballast.stop();
  return [...cases.values()];
}

/**
 * A fresh Ballast warms its index from the first upstream (so every chart is listed by it),
 * then the first upstream goes `state`, and distinct cold charts are fetched one at a time.
 */
async function coldChartCase(
  work: string,
  upstreams: SwitchableUpstream[],
  state: UpstreamState,
  charts: { file: string; digest: string }[],
  count: number,
): Promise<ColdChartCaseResult> {
  progress(`cold charts, first upstream ${state}`);
  const dir = join(work, `ballast-cold-${state}`);
  await mkdir(dir);
  let ballast: BenchBallast | undefined;
  try {
    ballast = await startBenchBallast({
      upstreams: upstreams.map((u) => u.url),
      dir,
      refresh: '1h',
    });
    const base = `${ballast.url}/bench`;
    await eventually(async () => {
      if ((await helmStyleGet(`${base}/index.yaml`)).status !== 200) throw new Error('no index');
    }, 30_000);
    await upstreams[0]?.set(state);
    const ms: number[] = [];
    let failures = 0;
    for (const chart of charts.slice(0, count)) {
      const response = await helmStyleGet(`${base}/charts/${chart.file}`, 35_000);
      ms.push(response.ms);
      if (response.status !== 200 || sha256Hex(response.body) !== chart.digest) failures++;
    }
    return { firstUpstream: state, ms, failures };
  } finally {
    await upstreams[0]?.set('healthy');
    await ballast?.stop();
  }
}

function firstLine(binary: string, args: string[]): string {
  const { stdout, stderr } = spawnSync(binary, args, { encoding: 'utf8', timeout: 10_000 });
  return `${stdout ?? ''}${stderr ?? ''}`.split('\n').find(Boolean)?.trim() ?? 'unknown';
}

await main();
