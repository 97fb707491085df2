import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeSyntheticIndex } from '../test/support/classic-repo.ts';
import { createHelm, type HelmClient } from '../test/support/helm.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';
import { startBallastUnderTest } from './ballast-under-test.ts';
import { helmIndexHeaders } from './bench-setup.ts';
import { type CommandMeasure, runMeasured } from './measured-command.ts';
import { startNginxBaseline } from './nginx-baseline.ts';
import { readProcessMemory } from './proc-stats.ts';
import { checkIdentityIndexResponse } from './served-content-check.ts';

/** One round of the 100,000-version case, in seconds, and the peaks of memory. */
export interface BigIndexRound {
  helmDirect: number;
  ballastCold: number;
  ballastRestart: number;
  helmThroughBallast: number;
  /** Helm 4 `repo update` of Ballast's own identity bytes, served by nginx from a file. */
  helmSameBytesNginx: number;
  helmView: number;
  /** Ballast's server process, VmHWM after the cold start (its build processes not counted). */
  ballastPeakRssBytes: number;
  helmDirectPeakRssBytes: number;
  helmFullPeakRssBytes: number;
  helmViewPeakRssBytes: number;
}

export interface BigIndexReport {
  versions: number;
  charts: number;
  viewCharts: string[];
  /** How many times each `repo update` ran per round (its median is kept). */
  updatesPerRound: number;
  rounds: BigIndexRound[];
}

/** Runs of each `repo update` per round: one run swings by ±15% on this machine. */
const updatesPerRound = 3;

/**
 * Helm 4's `repo update` of a 100,000-version index straight from nginx, next to Ballast's
 * cold start to the first served index (nginx its upstream), its restart with nginx stopped,
 * and Helm 4's `repo update` through it, of the full index and of a 3-chart view. Ballast's
 * identity bytes are also served by nginx from a file, so Helm's own share of the time
 * through Ballast is measured, not guessed.
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
    await mkdir(join(root, sameBytesPath), { recursive: true });
    progress(`writing a ${options.versions.toLocaleString('en-US')}-version index`);
    await writeSyntheticIndex(join(root, 'index.yaml'), { charts, versions: options.versions });
    const rounds: BigIndexRound[] = [];
    for (let round = 1; round <= options.rounds; round++) {
      rounds.push(await measureRound(join(work, `round-${round}`), root, viewCharts));
      progress(`big index round ${round}/${options.rounds}: ${JSON.stringify(rounds.at(-1))}`);
    }
    return { versions: options.versions, charts, viewCharts, updatesPerRound, rounds };
  } finally {
    await removeDir(work);
  }
}

/** Where nginx serves Ballast's identity body, as a repository of its own. */
const sameBytesPath = 'ballast-bytes';

async function measureRound(
  dir: string,
  root: string,
  viewCharts: string[],
): Promise<BigIndexRound> {
  await mkdir(dir, { recursive: true });
  const nginx = await startNginxBaseline({ root, gzip: 'on-the-fly' });
  await using helm = await createHelm(4);
  const updates = async (name: string) => {
    const runs: CommandMeasure[] = [];
    for (let run = 0; run < updatesPerRound; run++) {
      runs.push(await runMeasured(helm.binary, ['repo', 'update', name], helm.env));
    }
    return {
      seconds: median(runs.map((r) => r.seconds)),
      peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    };
  };
  let ballast: Awaited<ReturnType<typeof startBallastUnderTest>> | undefined;
  try {
    await addRepo(helm, 'direct', nginx.url);
    const direct = await updates('direct');

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
    const through = await updates('through');
    await addRepo(helm, 'view', `${repoUrl}?charts=${viewCharts.join(',')}`);
    const view = await updates('view');

    const identity = await checkIdentityIndexResponse(
      `${repoUrl}/index.yaml`,
      helmIndexHeaders,
      `${viewCharts[0]}-`,
    );
    await writeFile(join(root, sameBytesPath, 'index.yaml'), identity);
    await addRepo(helm, 'same-bytes', `${nginx.url}/${sameBytesPath}`);
    const sameBytes = await updates('same-bytes');

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
      helmSameBytesNginx: sameBytes.seconds,
      helmView: view.seconds,
      ballastPeakRssBytes,
      helmDirectPeakRssBytes: direct.peakRssBytes,
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

/** The middle value; for an even count the mean of the two middle ones (seconds are not rounded down). */
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const high = Math.floor(sorted.length / 2);
  const low = sorted.length % 2 === 0 ? high - 1 : high;
  return ((sorted[low] ?? Number.NaN) + (sorted[high] ?? Number.NaN)) / 2;
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
  const sameBytes = m((r) => r.helmSameBytesNginx);
  const view = m((r) => r.helmView);
  const peak = Math.max(...report.rounds.map((r) => r.ballastPeakRssBytes));
  const helmDirect = m((r) => r.helmDirectPeakRssBytes);
  const helmFull = m((r) => r.helmFullPeakRssBytes);
  const helmView = m((r) => r.helmViewPeakRssBytes);
  const s = (seconds: number) => `${seconds.toFixed(2)} s`;
  const x = (ratio: number) => `${ratio.toFixed(1)}x`;
  return [
    `big index: ${report.versions.toLocaleString('en-US')} versions, ${report.charts} charts, median of ${report.rounds.length} round(s); each repo update ${report.updatesPerRound} times a round`,
    `  Helm 4 repo update, direct from nginx   ${s(direct)}, Helm peak RSS ${mib(helmDirect)}`,
    `  Ballast cold start to first index       ${s(cold)}  = ${(cold / direct).toFixed(2)}x Helm direct  target <= 0.7x: ${verdict(cold <= 0.7 * direct)}`,
    `  Ballast restart, upstream gone          ${s(restart)}  target <= 1 s: ${verdict(restart <= 1)}`,
    `  Helm 4 repo update through Ballast      ${s(through)}  = ${x(direct / through)} faster than direct  target >= 4x: ${verdict(direct / through >= 4)}`,
    `    same bytes from nginx (Helm's share)  ${s(sameBytes)}  = ${x(direct / sameBytes)} faster than direct; through Ballast takes ${(through / sameBytes).toFixed(2)}x this`,
    `  Ballast peak RSS (server process)       ${mib(peak)}  target < 256 MB: ${verdict(peak < 256e6)}`,
    `  Helm 4 repo update of a 3-chart view    ${s(view)}, Helm peak RSS ${mib(helmView)}`,
    `    against the full index through Ballast: ${x(through / view)} less time, ${x(helmFull / helmView)} less memory (${mib(helmFull)})`,
    `    against the full index direct:          ${x(direct / view)} less time, ${x(helmDirect / helmView)} less memory`,
    `    view: ?charts=${report.viewCharts.join(',')}`,
  ].join('\n');
}
