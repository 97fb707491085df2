import { giveUp, YamlLines } from './yaml-lines.ts';

/** Characters a plain scalar or key may not start with (YAML indicators). */
export const indicators = new Set([
  '-',
  '?',
  ':',
  ',',
  '[',
  ']',
  '{',
  '}',
  '#',
  '&',
  '*',
  '!',
  '|',
  '>',
  "'",
  '"',
  '%',
  '@',
  '`',
]);

const escapes: Record<string, string> = {
  '\\': '\\',
  '"': '"',
  '/': '/',
  n: '\n',
  t: '\t',
  r: '\r',
  '0': '\0',
  ' ': ' ',
  '\t': '\t',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  v: '\v',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

const hexDigits: Record<string, number> = { x: 2, u: 4, U: 8 };

/** `-`, `?` and `:` start a plain scalar when a non-space follows (`-1`, `--help`). */
function startsPlain(plain: string): boolean {
  return '-?:'.includes(plain[0] as string) && plain.length > 1 && plain[1] !== ' ';
}

/** A plain scalar's line, unless it holds what would end or break a plain scalar. */
function checkedPlain(line: string): string {
  if (line.includes(' #') || line.includes(': ') || line.endsWith(':') || line.includes('\t'))
    throw giveUp;
  return line;
}

export class YamlScalars extends YamlLines {
  protected readonly isNumber: (plain: string) => boolean;
  protected readonly numberText: (plain: string) => unknown;

  constructor(
    text: string,
    isNumber: (plain: string) => boolean,
    numberText: (plain: string) => unknown,
  ) {
    super(text);
    this.isNumber = isNumber;
    this.numberText = numberText;
  }

  /**
   * A scalar that starts at `content` on this line, in a block at `indent`; moves to the next
   * line. A more indented line after it would continue it: that is left to js-yaml.
   */
  protected inlineValue(indent: number): unknown {
    const { text, end, content } = this;
    const first = text[content] as string;
    if (first === '|') return this.literal(indent);
    let value: unknown;
    if (first === '"' || first === "'") value = this.quoted(indent);
    else {
      const plain = text.slice(content, end).trimEnd();
      // The empty collections Helm writes (`keywords: []`) are the only flow style read here.
      if (plain === '[]' || plain === '{}') value = plain === '[]' ? [] : {};
      else if (indicators.has(first) && !startsPlain(plain)) throw giveUp;
      else return this.plain(plain, indent);
    }
    this.next();
    this.skipBlank();
    if (!this.atEnd && this.indent > indent) throw giveUp;
    return value;
  }

  /**
   * A plain scalar: its first line, then the more indented lines that continue it (long
   * descriptions are wrapped that way), folded as YAML folds them: a line break becomes a
   * space, and each empty line between two lines a line break.
   */
  private plain(firstLine: string, indent: number): unknown {
    let value = checkedPlain(firstLine);
    let empties = 0;
    for (this.next(); !this.atEnd; this.next()) {
      if (this.content === this.end) {
        empties++;
        continue;
      }
      if (this.indent <= indent) break;
      if (this.text.charCodeAt(this.content) === 35) throw giveUp; // a comment inside: js-yaml
      const line = checkedPlain(this.text.slice(this.content, this.end).trimEnd());
      value += empties === 0 ? ` ${line}` : `${'\n'.repeat(empties)}${line}`;
      empties = 0;
    }
    return this.isNumber(value) ? this.numberText(value) : value;
  }

  /**
   * A single- or double-quoted scalar, on one line or folded over several as YAML folds them
   * (a line break is a space, each empty line a line break; `\` at a line's end in double
   * quotes joins the lines without a space).
   */
  private quoted(indent: number): string {
    const double = this.text.charCodeAt(this.content) === 34;
    const quote = double ? 34 : 39;
    let out = '';
    let i = this.content + 1;
    for (;;) {
      const { text, end } = this;
      let from = i;
      let joined = false;
      while (i < end) {
        const c = text.charCodeAt(i);
        if (c === quote) {
          out += text.slice(from, i);
          if (!double && text.charCodeAt(i + 1) === 39) {
            out += "'";
            i += 2;
            from = i;
            continue;
          }
          this.afterQuote(i + 1);
          return out;
        }
        if (!double || c !== 92) {
          i++;
          continue;
        }
        out += text.slice(from, i);
        if (i + 1 === end) joined = true;
        else i = this.escape(i, (char) => (out += char));
        from = i = joined ? end : i;
      }
      out += joined ? '' : text.slice(from, end).replace(/[ \t]+$/, '');
      let empties = 0;
      for (this.next(); !this.atEnd && this.content === this.end; this.next()) empties++;
      if (this.atEnd || this.indent <= indent || (joined && empties > 0)) throw giveUp;
      if (!joined) out += empties === 0 ? ' ' : '\n'.repeat(empties);
      i = this.content;
    }
  }

  /** The escape at `at` (a backslash) in a double-quoted scalar; returns where it ends. */
  private escape(at: number, emit: (char: string) => void): number {
    const { text } = this;
    const e = text[at + 1] as string;
    const digits = hexDigits[e];
    if (digits !== undefined) {
      const hex = text.slice(at + 2, at + 2 + digits);
      const code = Number.parseInt(hex, 16);
      if (hex.length !== digits || !/^[0-9a-fA-F]+$/.test(hex) || code > 0x10ffff) throw giveUp;
      emit(String.fromCodePoint(code));
      return at + 2 + digits;
    }
    const unescaped = escapes[e];
    if (unescaped === undefined) throw giveUp;
    emit(unescaped);
    return at + 2;
  }

  /** Only spaces may follow a closing quote on its line. */
  private afterQuote(at: number): void {
    for (let i = at; i < this.end; i++) if (this.text.charCodeAt(i) !== 32) throw giveUp;
  }

  /** `|`, `|-` or `|+` and the lines below it, more indented than `indent`. */
  private literal(indent: number): string {
    const { text, end, content } = this;
    const header = text.slice(content, end).trimEnd();
    if (header !== '|' && header !== '|-' && header !== '|+') throw giveUp;
    const lines: string[] = [];
    let blockIndent = -1;
    this.next();
    while (!this.atEnd) {
      const empty = this.content === this.end;
      if (blockIndent === -1) {
        if (empty) {
          if (this.indent > 0) throw giveUp; // leading spaces-only lines: left to js-yaml
          lines.push('');
          this.next();
          continue;
        }
        if (this.indent <= indent) break;
        blockIndent = this.indent;
      }
      if (empty && this.indent <= blockIndent) lines.push('');
      else if (this.indent < blockIndent) break;
      else lines.push(text.slice(this.start + blockIndent, this.end));
      this.next();
    }
    let last = lines.length;
    while (last > 0 && lines[last - 1] === '') last--;
    if (blockIndent === -1) {
      if (lines.length > 0) throw giveUp;
      return '';
    }
    const body = lines.slice(0, last).join('\n');
    if (header === '|-') return body;
    if (header === '|') return `${body}\n`;
    return `${body}\n${'\n'.repeat(lines.length - last)}`;
  }
}
