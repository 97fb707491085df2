/**
 * `npm run compat -- DIR`: for every folder of DIR holding an `index.yaml`, serves it on
 * loopback, runs real Helm 3 and Helm 4 `helm search repo r/ --versions --devel -o json`
 * against it directly and through Ballast, compares the rows, and runs `ballast doctor
 * index` on it. Prints a line per index and the totals; exits 1 when a difference is
 * neither absent nor one Ballast documents (docs/index-compatibility.md).
 */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startBallastProcess } from '../test/support/ballast.ts';
import { type HelmMajor, helmMajors } from '../test/support/helm.ts';
import { startStaticServer } from '../test/support/static-server.ts';
import {
  type Comparison,
  compareOutcomes,
  describeComparison,
  type SearchOutcome,
} from './compat-rows.ts';
import { searchRepo } from './compat-search.ts';
import { type DoctorSummary, verdictOf } from './compat-verdict.ts';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));

async function doctor(file: string): Promise<DoctorSummary> {
  const result = await run(process.execPath, [cli, 'doctor', 'index', file, '--json'], {
    maxBuffer: 256 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  return JSON.parse(result.stdout) as DoctorSummary;
}

async function indexFolders(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).sort();
  const found: string[] = [];
  for (const name of names) {
    if (await stat(join(dir, name, 'index.yaml')).catch(() => undefined)) found.push(name);
  }
  return found;
}

async function main(): Promise<number> {
  const dir = process.argv[2];
  if (!dir) {
    process.stderr.write('usage: npm run compat -- DIR (folders each holding an index.yaml)\n');
    return 2;
  }
  const root = resolve(dir);
  const folders = await indexFolders(root);
  await using upstream = await startStaticServer({ root });
  const totals = { equivalent: 0, documented: 0, different: 0 };
  for (const name of folders) {
    // A Ballast per index: one with every repository would build all their indexes at once.
    await using ballast = await startBallastProcess({
      repos: [{ name, upstreams: [{ url: `${upstream.url}/${name}` }] }],
    });
    const [direct3, through3, direct4, through4, report] = await Promise.all([
      ...helmMajors.flatMap((major) => [
        searchRepo(major, `${upstream.url}/${name}`),
        searchRepo(major, `${ballast.url}/${name}`),
      ]),
      doctor(join(root, name, 'index.yaml')),
    ] as const);
    const comparisons: Record<HelmMajor, Comparison> = {
      3: compareOutcomes(direct3 as SearchOutcome, through3 as SearchOutcome),
      4: compareOutcomes(direct4 as SearchOutcome, through4 as SearchOutcome),
    };
    const verdict = verdictOf(
      comparisons,
      { 3: direct3 as SearchOutcome, 4: direct4 as SearchOutcome },
      report as DoctorSummary,
    );
    totals[verdict.kind]++;
    process.stdout.write(
      `${verdict.kind.padEnd(10)} ${name}: helm3 ${describeComparison(comparisons[3])}; helm4 ${describeComparison(comparisons[4])}${verdict.reason ? ` [${verdict.reason}]` : ''}\n`,
    );
  }
  const count = folders.length;
  process.stdout.write(
    `\n${count} indexes: ${totals.equivalent} equivalent, ${totals.documented} documented differences, ${totals.different} different\n`,
  );
  return totals.different === 0 ? 0 : 1;
}

process.exitCode = await main();
