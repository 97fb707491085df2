import type { BallastMemory } from './ballast-memory.ts';
import type { BenchOptions } from './bench-options.ts';
import type { BenchRepo } from './bench-repo.ts';
import type { BigIndexReport } from './big-index-case.ts';
import type { ProfileSummary } from './cpu-profile-summary.ts';
import type { HelmPackagedChart } from './helm-packaged-chart.ts';
import type { CaseResult } from './measure.ts';

export interface Ratio {
  caseId: string;
  baseline: string;
  ratio: number;
  /** The baseline's server CPU per request over Ballast's: how efficient, whatever the load. */
  cpuEfficiency: number;
  /** The target for this ratio; absent for the reference baselines. */
  target?: number;
}

/** Memory of the Ballast that served the classic cases (index and chart). */
export interface ClassicMemory {
  /** Right after start-up and warming; its peak includes parsing the upstream index. */
  afterStart: BallastMemory;
  /** Right after the index case; its peak is the one while serving it, when reset worked. */
  servingIndex?: BallastMemory & { peakSinceStart: boolean };
  atEnd: BallastMemory;
  limitBytes: number;
}

export interface BenchReport {
  startedAt: string;
  machine: {
    cores: number;
    cpuModel: string;
    memoryBytes: number;
    kernel: string;
    node: string;
    /** Present when a classic case ran. */
    nginx?: string;
    /** The reference registry's version, present when the OCI case ran. */
    registry?: string;
    wrk: string;
  };
  /** The Ballast command measured, relative to the project root. */
  ballastCommand: string;
  options: Omit<BenchOptions, 'out'>;
  /** The classic repository, when a classic case ran. */
  repo?: Omit<BenchRepo, 'dir'>;
  /** The chart pushed to the registry and its manifest there, when the OCI case ran. */
  oci?: {
    chart: Omit<HelmPackagedChart, 'path'> & { tag: string };
    manifest: { digest: string; bytes: number; mediaType: string; layerDigest: string };
  };
  cases: CaseResult[];
  ratios: Ratio[];
  /** Cores the machine kept busy over a quiet second before the load (the most of the phases). */
  backgroundCpuCores: number;
  memory?: ClassicMemory;
  /** The 100,000-version case: Helm and Ballast timed on the same index. */
  bigIndex?: BigIndexReport;
  /** Memory of the Ballast that mirrored the registry. */
  ociMemory?: { afterStart: BallastMemory; atEnd: BallastMemory };
  /** With `--profile`: where each Ballast spent its CPU. */
  profiles?: ({ of: 'classic' | 'oci'; file: string } & ProfileSummary)[];
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
  const { options: o, repo, oci, machine } = report;
  const peers = [machine.nginx, machine.registry && `the registry (${machine.registry})`].filter(
    Boolean,
  );
  const out: string[] = [];
  out.push(
    `Ballast vs ${peers.join(' and ')}: ${machine.cores} cores (${machine.cpuModel}), ` +
      `node ${machine.node}, ${machine.wrk}`,
    `ballast: ${report.ballastCommand} serve (log.level warn)`,
    `load: wrk -t${o.threads} -c${o.connections} -d${o.durationSec}s after ${o.warmupSec}s warm-up, ` +
      `Accept-Encoding: gzip, median of ${o.rounds} round(s); loopback only`,
  );
  if (repo) {
    out.push(
      `repo: index.yaml of ${repo.versions.toLocaleString('en-US')} versions (${mb(repo.indexBytes)}, ` +
        `.gz ${mb(repo.indexGzipBytes)}), chart ${repo.chartFile} (${repo.chartBytes} bytes)`,
    );
  }
  if (oci) {
    const { chart, manifest } = oci;
    out.push(
      `oci: ${chart.name}:${chart.tag} pushed by helm, layer ${chart.bytes} bytes ` +
        `(${chart.digest.slice(0, 19)}…), manifest ${manifest.bytes} bytes ` +
        `(${manifest.mediaType}, ${manifest.digest.slice(0, 19)}…), the same from both servers`,
    );
  }
  out.push('');
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
        ? '(reference, no target)'
        : `target >= ${r.target.toFixed(1)}x: ${r.ratio >= r.target ? 'MET' : 'MISSED'}`;
    out.push(
      `${r.caseId}: ballast / ${r.baseline} = ${r.ratio.toFixed(2)}x  ${verdict}; ` +
        `by server CPU per request ${r.cpuEfficiency.toFixed(2)}x`,
    );
  }
  if (report.memory) out.push('', ...formatMemory(report.memory));
  if (report.ociMemory) {
    const { afterStart, atEnd } = report.ociMemory;
    out.push(
      '',
      'Ballast mirroring the registry, memory:',
      memoryLine('after start-up', afterStart, '(since start)'),
      memoryLine('at the end', atEnd, '(since start)'),
    );
  }
  if (report.backgroundCpuCores > 0.2) {
    out.push(
      '',
      `warning: the machine was already ${report.backgroundCpuCores.toFixed(2)} cores busy before ` +
        'the load started; figures are noisy (run again, or with more --rounds)',
    );
  }
  return out.join('\n');
}

function memoryLine(label: string, m: BallastMemory, peak: string): string {
  return (
    `  ${label.padEnd(22)} VmRSS ${mib(m.rssBytes).padStart(10)}  ` +
    `VmHWM ${mib(m.peakRssBytes).padStart(10)} ${peak.padEnd(14)}` +
    ` JS heap ${mib(m.heapUsedBytes)} used of ${mib(m.heapTotalBytes)}, external ${mib(m.externalBytes)}`
  );
}

function formatMemory(memory: ClassicMemory): string[] {
  const out = [
    'Ballast memory (MiB = 2^20 bytes):',
    memoryLine('after start-up', memory.afterStart, '(since start)'),
  ];
  const serving = memory.servingIndex;
  if (serving) {
    const since = serving.peakSinceStart ? '(since start)' : '(while serving)';
    out.push(memoryLine('serving the index', serving, since));
  }
  const endPeak = serving && !serving.peakSinceStart ? '(since index)' : '(since start)';
  out.push(memoryLine('at the end', memory.atEnd, endPeak));
  if (serving) {
    const peak = serving.peakRssBytes;
    out.push(
      `  limit: under ${(memory.limitBytes / 1e6).toFixed(0)} MB (${mib(memory.limitBytes)}) while serving the index: ` +
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
