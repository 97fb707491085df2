import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSyntheticIndex } from '../test/support/classic-repo.ts';
import { createHelm, type HelmClient } from '../test/support/helm.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';
import { startBallastUnderTest } from './ballast-under-test.ts';
import { helmIndexHeaders } from './bench-setup.ts';
import { runMeasured } from './measured-command.ts';
import { startNginxBaseline } from './nginx-baseline.ts';
import { readProcessMemory } from './proc-stats.ts';

/** One round of the 100,000-version case, in seconds, and the peaks of memory. */
export interface BigIndexRound {
  helmDirect: number;
  ballastCold: number;
  ballastRestart: number;
  helmThroughBallast: number;
  helmView: number;
  /** Ballast's server process, VmHWM after the cold start (its build processes not counted). */
  ballastPeakRssBytes: number;
  helmFullPeakRssBytes: number;
  helmViewPeakRssBytes: number;
}

export interface BigIndexReport {
  versions: number;
  charts: number;
  viewCharts: string[];
  rounds: BigIndexRound[];
}

/**
 * Helm 4's `repo update` of a 100,000-version index straight from nginx, next to Ballast's
 * cold start to the first served index (nginx its upstream), its restart with nginx stopped,
 * and Helm 4's `repo update` through it, of the full index and of a 3-chart view.
 */
export async function runBigIndexCase(
  options: { versions: number; rounds: number },
  progress: (message: string) => void,
): Promise<BigIndexReport> {
  const charts = Math.max(3, Math.round(options.versions / 100));
  const width = String(charts).length;
  const viewCharts = [0, 1, 2].map((c) => `synthetic-${String(c).padStart(width, '0')}`);
  const work = await tempDir('bench-big');
  try {
    const root = join(work, 'repo');
    await mkdir(root);
    progress(`writing a ${options.versions.toLocaleString('en-US')}-version index`);
    await writeSyntheticIndex(join(root, 'index.yaml'), { charts, versions: options.versions });
    const rounds: BigIndexRound[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      rounds.push(await measureRound(join(work, `round-${round}`), root, viewCharts));
      progress(`big index round ${round}/${options.rounds}: ${JSON.stringify(rounds.at(-1))}`);
    }
    return { versions: options.versions, charts, viewCharts, rounds };
  } finally {
    await removeDir(work);
  }
}

async function measureRound(
  dir: string,
  root: string,
  viewCharts: string[],
): Promise<BigIndexRound> {
  await mkdir(dir, { recursive: true });
  const nginx = await startNginxBaseline({ root, gzip: 'on-the-fly' });
  await using helm = await createHelm(4);
  const update = (name: string) => runMeasured(helm.binary, ['repo', 'update', name], helm.env);
  let ballast: Awaited<ReturnType<typeof startBallastUnderTest>> | undefined;
  try {
    await helm.run(['repo', 'add', 'direct', nginx.url], { timeoutMs: 300_000 });
    const direct = await update('direct');

    // The machine may be slow; Helm direct is the yardstick, not a time limit.
    const ready = (path: string) => ({ path, headers: helmIndexHeaders, timeoutMs: 300_000 });
    let started = performance.now();
    ballast = await startBallastUnderTest({
      upstreamUrl: nginx.url,
      dir,
      readiness: ready('/bench/index.yaml'),
    });
    const ballastCold = (performance.now() - started) / 1000;
    const ballastPeakRssBytes = readProcessMemory(ballast.pid).peakRssBytes;
    const repoUrl = `${ballast.url}${ballast.repoPath}`;
    await addRepo(helm, 'through', repoUrl);
    const through = await update('through');
    await addRepo(helm, 'view', `${repoUrl}?charts=${viewCharts.join(',')}`);
    const view = await update('view');

    await ballast.stop();
    await nginx.stop();
    started = performance.now();
    ballast = await startBallastUnderTest({
      upstreamUrl: nginx.url,
      dir,
      readiness: ready('/bench/index.yaml'),
    });
    const ballastRestart = (performance.now() - started) / 1000;
    return {
      helmDirect: direct.seconds,
      ballastCold,
      ballastRestart,
      helmThroughBallast: through.seconds,
      helmView: view.seconds,
      ballastPeakRssBytes,
      helmFullPeakRssBytes: through.peakRssBytes,
      helmViewPeakRssBytes: view.peakRssBytes,
    };
  } finally {
    await ballast?.stop();
    await nginx.stop();
  }
}

async function addRepo(helm: HelmClient, name: string, url: string) {
  await helm.run(['repo', 'add', name, url], { timeoutMs: 300_000 });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const verdict = (met: boolean) => (met ? 'MET' : 'MISSED');

/** The case's medians, ratios and targets, for the printed report. */
export function formatBigIndex(report: BigIndexReport): string {
  const m = (pick: (r: BigIndexRound) => number) => median(report.rounds.map(pick));
  const direct = m((r) => r.helmDirect);
  const cold = m((r) => r.ballastCold);
  const restart = m((r) => r.ballastRestart);
  const through = m((r) => r.helmThroughBallast);
  const view = m((r) => r.helmView);
  const peak = Math.max(...report.rounds.map((r) => r.ballastPeakRssBytes));
  const helmFull = m((r) => r.helmFullPeakRssBytes);
  const helmView = m((r) => r.helmViewPeakRssBytes);
  const s = (seconds: number) => `${seconds.toFixed(2)} s`;
  return [
    `big index: ${report.versions.toLocaleString('en-US')} versions, ${report.charts} charts, median of ${report.rounds.length} round(s)`,
    `  Helm 4 repo update, direct from nginx   ${s(direct)}`,
    `  Ballast cold start to first index       ${s(cold)}  = ${(cold / direct).toFixed(2)}x Helm direct  target <= 0.7x: ${verdict(cold <= 0.7 * direct)}`,
    `  Ballast restart, upstream gone          ${s(restart)}  target <= 1 s: ${verdict(restart <= 1)}`,
    `  Helm 4 repo update through Ballast      ${s(through)}  = ${(direct / through).toFixed(1)}x faster than direct  target >= 4x: ${verdict(direct / through >= 4)}`,
    `  Ballast peak RSS (server process)       ${mib(peak)}  target < 256 MB: ${verdict(peak < 256e6)}`,
    `  Helm 4 repo update of a 3-chart view    ${s(view)} (${(through / view).toFixed(1)}x less time), Helm peak RSS ${mib(helmView)} vs ${mib(helmFull)} for the full index (${(helmFull / helmView).toFixed(1)}x less)`,
    `    view: ?charts=${report.viewCharts.join(',')}`,
  ].join('\n');
}
