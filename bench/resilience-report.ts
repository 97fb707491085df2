import type { UpstreamState } from './resilience-setup.ts';

/** The targets of the resilience bench. */
export const resilienceTargets = {
  /** Cached index while every upstream is down or blackholed: p99 at most this × healthy. */
  indexP99Ratio: 2,
  /** Cold chart fetch while the first upstream is blackholed, hedging at defaults. */
  coldChartMs: 1_500,
};

export interface IndexRound {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface IndexCaseResult {
  /** What every upstream was doing while the cached index was loaded. */
  upstreams: UpstreamState;
  rounds: IndexRound[];
  /** Per round, how the index was served at the end of the measurement: `fresh` or `stale (CODE)`. */
  servedAs: string[];
  /** Set when the load generator saw failed requests. */
  error?: string;
}

export interface ColdChartCaseResult {
  /** What the first upstream was doing; the second was healthy. */
  firstUpstream: UpstreamState;
  /** Time of each cold chart fetch, in order. */
  ms: number[];
  failures: number;
}

export interface ResilienceReport {
  startedAt: string;
  machine: { cores: number; cpuModel: string; node: string; wrk: string };
  options: { durationSec: number; rounds: number; connections: number; coldCharts: number };
  repo: { versions: number; indexBytes: number };
  index: IndexCaseResult[];
  coldChart: ColdChartCaseResult[];
}

/** Nearest-rank percentile (p in 0..100); NaN for an empty list. */
export function percentileOf(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

export function median(values: readonly number[]): number {
  return percentileOf(values, 50);
}

const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
const verdict = (met: boolean) => (met ? 'met' : '**missed**');

/** The figures as Markdown tables, with the targets judged. */
export function formatResilienceReport(report: ResilienceReport): string {
  const { options, repo } = report;
  const healthy = report.index.find((c) => c.upstreams === 'healthy');
  const healthyP99 = healthy ? median(healthy.rounds.map((r) => r.p99Ms)) : Number.NaN;
  const lines = [
    `cached index.yaml (${repo.versions.toLocaleString('en-US')} versions, ${Math.round(repo.indexBytes / 1024)} KiB upstream), wrk -t1 -c${options.connections}, ${options.durationSec} s × ${options.rounds} rounds, medians`,
    '',
    '| every upstream | req/s | p50 ms | p99 ms | max ms | p99 / healthy | served as |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const c of report.index) {
    const p99 = median(c.rounds.map((r) => r.p99Ms));
    const ratio = p99 / healthyP99;
    const judged =
      c.upstreams === 'healthy'
        ? '1.00'
        : `${fixed(ratio, 2)} (≤ ${resilienceTargets.indexP99Ratio}: ${verdict(ratio <= resilienceTargets.indexP99Ratio)})`;
    lines.push(
      `| ${c.upstreams} | ${fixed(median(c.rounds.map((r) => r.requestsPerSec)), 0)} | ${fixed(median(c.rounds.map((r) => r.p50Ms)), 2)} | ${fixed(p99, 2)} | ${fixed(Math.max(...c.rounds.map((r) => r.maxMs)), 1)} | ${judged} | ${c.error ? `errors: ${c.error}` : [...new Set(c.servedAs)].join(', ')} |`,
    );
  }
  lines.push(
    '',
    `cold chart fetch, ${options.coldCharts} charts one after another, second upstream healthy, hedging at defaults`,
    '',
    '| first upstream | p50 ms | p95 ms | max ms | failures | target (max < 1.5 s) |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const c of report.coldChart) {
    const max = Math.max(...c.ms);
    const met = c.failures === 0 && max < resilienceTargets.coldChartMs;
    lines.push(
      `| ${c.firstUpstream} | ${fixed(percentileOf(c.ms, 50), 0)} | ${fixed(percentileOf(c.ms, 95), 0)} | ${fixed(max, 0)} | ${c.failures} | ${c.firstUpstream === 'blackholed' ? verdict(met) : '(no target)'} |`,
    );
  }
  return lines.join('\n');
}
