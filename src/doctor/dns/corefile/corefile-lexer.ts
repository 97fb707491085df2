import { CorefileSyntaxError } from '../../doctor-errors.ts';
import type { Token } from './corefile-model.ts';

export interface LexOptions {
  file: string;
  origin?: readonly string[];
  /** Added to every line number, for a Corefile embedded in a ConfigMap's YAML. */
  lineOffset?: number;
  /** Added to every column, for the indentation of a YAML block scalar. */
  columnOffset?: number;
}

/** More words than any real Corefile has; stops pathological input from exhausting memory. */
export const maxTokens = 250_000;

/**
 * Splits a Corefile into words the way CoreDNS's Caddyfile lexer does: whitespace separates,
 * `#` starts a comment to the end of the line (even inside a word), and double quotes group
 * words, may span lines and only escape `\"`.
 */
export function lexCorefile(text: string, options: LexOptions): Token[] {
  const file = options.file;
  const origin = options.origin ?? [file];
  const lineOffset = options.lineOffset ?? 0;
  const columnOffset = options.columnOffset ?? 0;
  const tokens: Token[] = [];
  let line = 1;
  let column = 0;
  let value = '';
  let start: { line: number; column: number } | null = null;
  let quoted = false;
  let escaped = false;
  let comment = false;

  const emit = (wasQuoted: boolean) => {
    if (!start) return;
    if (tokens.length >= maxTokens) {
      throw new CorefileSyntaxError(
        { file, line: start.line + lineOffset, column: start.column + columnOffset },
        `more than ${maxTokens} words; this is not a Corefile`,
      );
    }
    tokens.push({
      text: value,
      quoted: wasQuoted,
      file,
      line: start.line + lineOffset,
      column: start.column + columnOffset,
      endLine: line + lineOffset,
      origin,
    });
    value = '';
    start = null;
  };

  for (const ch of text) {
    column++;
    if (quoted) {
      if (!escaped && ch === '\\') {
        escaped = true;
      } else if (!escaped && ch === '"') {
        quoted = false;
        emit(true);
      } else {
        if (escaped && ch !== '"') value += '\\';
        value += ch;
        escaped = false;
      }
      if (ch === '\n') {
        line++;
        column = 0;
      }
      continue;
    }
    if (ch === '\n') {
      emit(false);
      line++;
      column = 0;
      comment = false;
      continue;
    }
    if (/\s/.test(ch)) {
      emit(false);
      continue;
    }
    if (ch === '#') comment = true;
    if (comment) continue;
    if (!start) {
      start = { line, column };
      if (ch === '"') {
        quoted = true;
        continue;
      }
    }
    value += ch;
  }
  if (quoted && start) {
    const begin: { line: number; column: number } = start;
    throw new CorefileSyntaxError(
      { file, line: begin.line + lineOffset, column: begin.column + columnOffset },
      'quoted string is never closed',
    );
  }
  emit(false);
  return tokens;
}
