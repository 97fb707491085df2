/**
 * Runs `ballast doctor dns` over every case folder under a directory and prints, per case, the
 * exit code and the findings. A case is a folder of input files plus SOURCE.txt: a file named
 * resolv.conf goes to --resolv-conf, every other file to --corefile, and a line
 * `doctor flags: …` in SOURCE.txt adds those arguments (e.g. --cluster-dns).
 *
 *   npm run doctor-corpus -- DIR [-- extra doctor arguments]
 *
 * Not part of `npm test`: the corpus lives outside the repository.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));

interface CaseReport {
  exitCode?: number;
  findings?: Array<{
    rule: string;
    severity: string;
    message: string;
    position?: { file: string; line: number };
  }>;
  error?: { code: string; message: string };
  coredns?: { version: string; from: string };
}

/** The arguments SOURCE.txt asks for; `(none…)` or no line gives none. */
function flagsOf(folder: string): string[] {
  let source: string;
  try {
    source = readFileSync(join(folder, 'SOURCE.txt'), 'utf8');
  } catch {
    return [];
  }
  const line = /^doctor flags:(.*)$/m.exec(source)?.[1]?.trim() ?? '';
  return line === '' || line.startsWith('(') ? [] : line.split(/\s+/);
}

function argumentsFor(folder: string): string[] {
  const args: string[] = flagsOf(folder);
  for (const name of readdirSync(folder).sort()) {
    if (name === 'SOURCE.txt' || !statSync(join(folder, name)).isFile()) continue;
    args.push(name === 'resolv.conf' ? '--resolv-conf' : '--corefile', join(folder, name));
  }
  return args;
}

function runCase(folder: string, extra: readonly string[]): string {
  const args = ['doctor', 'dns', ...argumentsFor(folder), ...extra, '--json'];
  const run = spawnSync(process.execPath, [entry, ...args], { encoding: 'utf8', timeout: 60_000 });
  const lines = [
    `exit ${run.status ?? `killed (${run.signal})`}  (${args.slice(2, -1).join(' ').replaceAll(`${folder}/`, '')})`,
  ];
  let report: CaseReport;
  try {
    report = JSON.parse(run.stdout) as CaseReport;
  } catch {
    return [...lines, `  no JSON report: ${run.stderr.trim()}`].join('\n');
  }
  if (report.coredns) lines.push(`  CoreDNS ${report.coredns.version} (${report.coredns.from})`);
  if (report.error) lines.push(`  ${report.error.code}: ${report.error.message}`);
  for (const f of report.findings ?? []) {
    const at = f.position ? ` ${f.position.file.replace(`${folder}/`, '')}:${f.position.line}` : '';
    lines.push(`  ${f.severity.padEnd(7)} ${f.rule}${at}: ${f.message}`);
  }
  return lines.join('\n');
}

const [directory, ...rest] = process.argv.slice(2);
if (!directory) {
  process.stderr.write('usage: npm run doctor-corpus -- DIR [-- doctor dns options]\n');
  process.exit(2);
}
const extra = rest[0] === '--' ? rest.slice(1) : rest;
for (const name of readdirSync(directory).sort()) {
  const folder = join(directory, name);
  if (!statSync(folder).isDirectory()) continue;
  process.stdout.write(`== ${name}: ${runCase(folder, extra)}\n`);
}
