import type { Finding, Severity } from '../findings.ts';
import { countBySeverity, formatPosition } from '../findings.ts';

/** ANSI styling that is a no-op when colour is off, so renderers never branch on it. */
export interface TextStyle {
  bold(text: string): string;
  dim(text: string): string;
  severity(severity: Severity, text: string): string;
  good(text: string): string;
  bad(text: string): string;
}

const codes = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;

export function createTextStyle(colour: boolean): TextStyle {
  const wrap = (code: number) => (text: string) =>
    colour ? `\u001b[${code}m${text}\u001b[0m` : text;
  const bySeverity: Record<Severity, (text: string) => string> = {
    error: wrap(codes.red),
    warning: wrap(codes.yellow),
    info: wrap(codes.cyan),
  };
  return {
    bold: wrap(codes.bold),
    dim: wrap(codes.dim),
    severity: (severity, text) => bySeverity[severity](text),
    good: wrap(codes.green),
    bad: wrap(codes.red),
  };
}

/**
 * Colour when writing to a terminal, unless NO_COLOR is set; FORCE_COLOR turns it on for
 * pipes (both are the common conventions).
 */
export function wantsColour(
  isTTY: boolean | undefined,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return isTTY === true;
}

const severityLabel: Record<Severity, string> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

export function summaryLine(findings: readonly Finding[]): string {
  const counts = countBySeverity(findings);
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  return [
    plural(counts.error, 'error'),
    plural(counts.warning, 'warning'),
    plural(counts.info, 'note'),
  ].join(', ');
}

/** Findings as an aligned table: severity, rule, where; then the message and the fix. */
export function renderFindings(findings: readonly Finding[], style: TextStyle): string[] {
  if (findings.length === 0) return [style.good('No problems found.')];
  const ruleWidth = Math.max(...findings.map((f) => f.rule.length));
  const lines: string[] = [];
  for (const f of findings) {
    const label = severityLabel[f.severity].padEnd(8);
    const where = formatPosition(f.position);
    lines.push(
      `${style.severity(f.severity, label)} ${style.bold(f.rule.padEnd(ruleWidth))}  ${where}`.trimEnd(),
    );
    lines.push(`         ${f.message}`);
    lines.push(`         ${style.dim(`fix: ${f.fix}`)}`);
  }
  return lines;
}

/** Pads the columns of rows so they line up. */
export function table(rows: readonly string[][], indent = '  '): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    for (const [i, cell] of row.entries())
      widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell));
  }
  return rows.map(
    (row) =>
      indent +
      row
        .map((cell, i) =>
          i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)),
        )
        .join('  ')
        .trimEnd(),
  );
}

function visibleLength(text: string): number {
  return stripColour(text).length;
}

export function stripColour(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI colour codes start with ESC
  return text.replace(/\u001b\[[0-9;]*m/g, '');
}
