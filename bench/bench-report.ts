import type { BallastMemory } from './ballast-memory.ts';
import type { BenchOptions } from './bench-options.ts';
import type { BenchRepo } from './bench-repo.ts';
import type { CaseResult } from './measure.ts';

export interface Ratio {
  caseId: string;
  baseline: string;
  ratio: number;
  /** The baseline's server CPU per request over Ballast's: how efficient, whatever the load. */
  cpuEfficiency: number;
  /** The target for this ratio; absent for the extra, harder baselines. */
  target?: number;
}

export interface BenchReport {
  startedAt: string;
  machine: {
    cores: number;
    cpuModel: string;
    memoryBytes: number;
    kernel: string;
    node: string;
    nginx: string;
    wrk: string;
  };
  /** The Ballast command measured, relative to the project root. */
  ballastCommand: string;
  options: Omit<BenchOptions, 'out'>;
  repo: Omit<BenchRepo, 'dir'>;
  cases: CaseResult[];
  ratios: Ratio[];
  /** Cores the machine kept busy, on average, over one second before any load. */
  backgroundCpuCores: number;
  memory: {
    /** Right after start-up and warming; its peak includes parsing the upstream index. */
    afterStart: BallastMemory;
    /** Right after the index case; its peak is the one while serving it, when reset worked. */
    servingIndex?: BallastMemory & { peakSinceStart: boolean };
    atEnd: BallastMemory;
    limitBytes: number;
  };
  profile?: unknown;
}

/** Ballast's requests per second over each baseline's, per case. */
export function ratiosOf(cases: readonly CaseResult[], targets: Record<string, number>): Ratio[] {
  return cases.flatMap((result) => {
    const [ballast, ...baselines] = result.medians;
    if (!ballast) return [];
    return baselines.map((baseline, i) => ({
      caseId: result.id,
      baseline: baseline.server,
      ratio: ballast.load.requestsPerSec / baseline.load.requestsPerSec,
      cpuEfficiency: baseline.serverCpuMicrosPerRequest / ballast.serverCpuMicrosPerRequest,
      // Only the first baseline of a case carries the target.
      ...(i === 0 && targets[result.id] !== undefined ? { target: targets[result.id] } : {}),
    }));
  });
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The human-readable table `npm run bench` prints. */
export function formatReport(report: BenchReport): string {
  const { options: o, repo, machine } = report;
  const out: string[] = [];
  out.push(
    `Ballast vs nginx ${machine.nginx}: ${machine.cores} cores (${machine.cpuModel}), ` +
      `node ${machine.node}, ${machine.wrk}`,
    `ballast: ${report.ballastCommand} serve (log.level warn)`,
    `load: wrk -t${o.threads} -c${o.connections} -d${o.durationSec}s after ${o.warmupSec}s warm-up, ` +
      `Accept-Encoding: gzip, median of ${o.rounds} round(s); loopback only`,
    `repo: index.yaml of ${repo.versions.toLocaleString('en-US')} versions (${mb(repo.indexBytes)}, ` +
      `.gz ${mb(repo.indexGzipBytes)}), chart ${repo.chartFile} (${repo.chartBytes} bytes)`,
    '',
  );
  const header = [
    'case',
    'server',
    'req/s',
    'MB/s',
    'bytes/resp',
    'p50 ms',
    'p99 ms',
    'srv CPU',
    'CPU us/req',
    'all CPU',
  ];
  const rows = report.cases.flatMap((result) =>
    result.medians.map((m, i) => [
      i === 0 ? result.title : '',
      m.server,
      m.load.requestsPerSec.toFixed(0),
      (m.load.bytesPerSec / 1e6).toFixed(0),
      String(m.load.bytesPerResponse),
      m.load.latencyMs.p50.toFixed(2),
      m.load.latencyMs.p99.toFixed(2),
      m.serverCpuCores.toFixed(2),
      m.serverCpuMicrosPerRequest.toFixed(1),
      m.machineCpuCores.toFixed(2),
    ]),
  );
  out.push(...table([header, ...rows]), '');
  for (const r of report.ratios) {
    const verdict =
      r.target === undefined
        ? '(harder baseline, no target)'
        : `target >= ${r.target.toFixed(1)}x: ${r.ratio >= r.target ? 'MET' : 'MISSED'}`;
    out.push(
      `${r.caseId}: ballast / ${r.baseline} = ${r.ratio.toFixed(2)}x  ${verdict}; ` +
        `by server CPU per request ${r.cpuEfficiency.toFixed(2)}x`,
    );
  }
  out.push('', ...formatMemory(report.memory));
  if (report.backgroundCpuCores > 0.2) {
    out.push(
      '',
      `warning: the machine was already ${report.backgroundCpuCores.toFixed(2)} cores busy before ` +
        'the load started; figures are noisy (run again, or with more --rounds)',
    );
  }
  return out.join('\n');
}

function formatMemory(memory: BenchReport['memory']): string[] {
  const line = (label: string, m: BallastMemory, peak: string) =>
    `  ${label.padEnd(22)} VmRSS ${mib(m.rssBytes).padStart(10)}  ` +
    `VmHWM ${mib(m.peakRssBytes).padStart(10)} ${peak.padEnd(14)}` +
    ` JS heap ${mib(m.heapUsedBytes)} used of ${mib(m.heapTotalBytes)}, external ${mib(m.externalBytes)}`;
  const out = [
    'Ballast memory (MiB = 2^20 bytes):',
    line('after start-up', memory.afterStart, '(since start)'),
  ];
  const serving = memory.servingIndex;
  if (serving) {
    const since = serving.peakSinceStart ? '(since start)' : '(while serving)';
    out.push(line('serving the index', serving, since));
  }
  const endPeak = serving && !serving.peakSinceStart ? '(since index)' : '(since start)';
  out.push(line('at the end', memory.atEnd, endPeak));
  if (serving) {
    const peak = serving.peakRssBytes;
    out.push(
      `  limit: under ${mib(memory.limitBytes)} while serving the index: ` +
        `${peak < memory.limitBytes ? 'MET' : 'MISSED'} (peak ${mib(peak)})`,
    );
  }
  return out;
}

function table(rows: readonly string[][]): string[] {
  const widths = rows[0]?.map((_, col) => Math.max(...rows.map((row) => (row[col] ?? '').length)));
  // Text columns align left, numbers right.
  return rows.map((row) =>
    row
      .map((cell, col) =>
        col < 2 ? cell.padEnd(widths?.[col] ?? 0) : cell.padStart(widths?.[col] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}
