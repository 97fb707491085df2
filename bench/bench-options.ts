import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Measured seconds per target and round. */
  durationSec: number;
  /** Unmeasured seconds of the same load first, so V8 has compiled the hot path. */
  warmupSec: number;
  connections: number;
  threads: number;
  /** Each target is measured this many times, in alternating order; the median is reported. */
  rounds: number;
  versions: number;
  chartBytes: number;
  /** Which cases to run, in this order. */
  cases: BenchCase[];
  /** Run Ballast with `--cpu-prof` and print where its time went. */
  profile: boolean;
  /** Where the JSON results go. */
  out: string;
}

export const benchCases = ['index-helm', 'index', 'chart', 'oci', 'big-index'] as const;
export type BenchCase = (typeof benchCases)[number];

const defaultOut = fileURLToPath(new URL('./results/latest.json', import.meta.url));

export const benchUsage = `usage: npm run bench -- [options]   (each also as an environment variable)
  --duration 5s            BENCH_DURATION     measured time per target and round (1s to 120s)
  --warmup 1s              BENCH_WARMUP       unmeasured load before each measurement (0s to 60s)
  --connections 32         BENCH_CONNECTIONS  wrk connections
  --threads 1              BENCH_THREADS      wrk threads
  --rounds 3               BENCH_ROUNDS       measurements per target (median reported)
  --versions 10000         BENCH_VERSIONS     chart versions in the index
  --chart-kib 60           BENCH_CHART_KIB    size of the chart archive (the OCI chart too)
  --only index-helm,index,chart,oci,big-index
                           BENCH_ONLY         which cases to run
  --profile                BENCH_PROFILE=1    CPU-profile Ballast and print its hottest functions
  --out FILE               BENCH_OUT          JSON results (default bench/results/latest.json)`;

/** Flags win over BENCH_* variables, which win over the defaults; values are range-checked. */
export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      threads: { type: 'string' },
      rounds: { type: 'string' },
      versions: { type: 'string' },
      'chart-kib': { type: 'string' },
      only: { type: 'string' },
      profile: { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) throw new BenchUsageError('');
  const pick = (flag: string | undefined, variable: string, fallback: string) =>
    flag ?? env[variable] ?? fallback;
  const connections = integer(
    'connections',
    pick(values.connections, 'BENCH_CONNECTIONS', '32'),
    1,
    1024,
  );
  return {
    durationSec: seconds('duration', pick(values.duration, 'BENCH_DURATION', '5s'), 1, 120),
    warmupSec: seconds('warmup', pick(values.warmup, 'BENCH_WARMUP', '1s'), 0, 60),
    connections,
    threads: integer('threads', pick(values.threads, 'BENCH_THREADS', '1'), 1, connections),
    rounds: integer('rounds', pick(values.rounds, 'BENCH_ROUNDS', '3'), 1, 10),
    versions: integer('versions', pick(values.versions, 'BENCH_VERSIONS', '10000'), 1, 200_000),
    chartBytes:
      1024 * integer('chart-kib', pick(values['chart-kib'], 'BENCH_CHART_KIB', '60'), 1, 4096),
    cases: caseList(pick(values.only, 'BENCH_ONLY', benchCases.join(','))),
    profile: values.profile ?? /^(1|true|yes)$/i.test(env.BENCH_PROFILE ?? ''),
    out: resolve(values.out ?? env.BENCH_OUT ?? defaultOut),
  };
}

export class BenchUsageError extends Error {}

function caseList(text: string): BenchCase[] {
  const names = text.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(benchCases as readonly string[]).includes(name));
  if (unknown.length > 0 || names.length === 0) {
    throw new BenchUsageError(`--only: expected some of ${benchCases.join(', ')}, got ${text}`);
  }
  return benchCases.filter((name) => names.includes(name));
}

function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new BenchUsageError(
      `--${name}: expected a whole number from ${min} to ${max}, got ${text}`,
    );
  }
  return value;
}

function seconds(name: string, text: string, min: number, max: number): number {
  const match = /^(\d+)s?$/.exec(text.trim());
  const value = Number(match?.[1]);
  if (!match || value < min || value > max) {
    throw new BenchUsageError(
      `--${name}: expected whole seconds such as 5s, from ${min}s to ${max}s, got ${text}`,
    );
  }
  return value;
}
