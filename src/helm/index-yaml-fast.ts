/**
 * A fast reader for the YAML that `helm repo index` and chart servers write: block mappings
 * and sequences indented with spaces, plain and single-line quoted scalars, literal blocks.
 * js-yaml stays the authority: on anything outside that form (flow collections, anchors, tags,
 * folded or multi-line scalars, comments after values, duplicate keys) this gives up and
 * returns undefined, and the caller reads the text with js-yaml. What it does return is what
 * js-yaml returns for the same text with the index schema: scalars as text, plain scalars
 * that YAML would read as numbers marked by `numberText`. A 100,000-version index reads about
 * ten times faster this way, which is most of a cold start.
 */
export function readHelmYaml(
  text: string,
  isNumber: (plain: string) => boolean,
  numberText: (plain: string) => unknown,
): unknown {
  if (nonPrintable.test(text)) return undefined; // js-yaml refuses these, with its message
  try {
    return new Reader(text, isNumber, numberText).document();
  } catch (error) {
    if (error === giveUp) return undefined;
    throw error;
  }
}

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

/** Characters YAML does not allow in a stream, and unpaired surrogates. */
const nonPrintable =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: these are the ones looked for
  /[\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x84\x86-\x9F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?:[^\uD800-\uDBFF]|^)[\uDC00-\uDFFF]/;

/** Thrown inside the reader when the text leaves the supported form. */
const giveUp = Symbol('outside the fast form');

/** Characters a plain scalar or key may not start with (YAML indicators). */
const indicators = new Set([
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

type Mapping = Record<string, unknown>;

class Reader {
  private readonly text: string;
  private readonly isNumber: (plain: string) => boolean;
  private readonly numberText: (plain: string) => unknown;
  /** Start of the current line, its end (before `\n`), indentation, and where content starts. */
  private start = 0;
  private end = 0;
  private indent = 0;
  private content = 0;
  private atEnd = false;

  constructor(text: string, isNumber: Reader['isNumber'], numberText: Reader['numberText']) {
    this.text = text;
    this.isNumber = isNumber;
    this.numberText = numberText;
  }

  document(): unknown {
    this.load(0);
    this.skipBlank();
    if (!this.atEnd && this.text.startsWith('---', this.content) && this.end - this.content === 3) {
      this.next();
      this.skipBlank();
    }
    if (this.atEnd || this.indent !== 0 || this.isItem()) throw giveUp;
    const value = this.mapping(0);
    this.skipBlank();
    if (!this.atEnd) throw giveUp;
    return value;
  }

  /** Reads the line that starts at `at`. */
  private load(at: number): void {
    const { text } = this;
    if (at >= text.length) {
      this.atEnd = true;
      this.start = this.end = this.content = at;
      return;
    }
    this.start = at;
    let end = text.indexOf('\n', at);
    if (end === -1) end = text.length;
    if (end > at && text.charCodeAt(end - 1) === 13) throw giveUp; // CRLF: left to js-yaml
    this.end = end;
    let i = at;
    while (i < end && text.charCodeAt(i) === 32) i++;
    if (i < end && text.charCodeAt(i) === 9) throw giveUp;
    this.indent = i - at;
    this.content = i;
  }

  private next(): void {
    this.load(this.end + 1);
  }

  /** Moves past empty lines and whole-line comments. */
  private skipBlank(): void {
    while (!this.atEnd && (this.content === this.end || this.text.charCodeAt(this.content) === 35))
      this.next();
  }

  /** Whether the current content is a sequence item (`-` then a space or the line's end). */
  private isItem(): boolean {
    const { text, content, end } = this;
    return (
      text.charCodeAt(content) === 45 &&
      (content + 1 === end || text.charCodeAt(content + 1) === 32)
    );
  }

  private mapping(indent: number): Mapping {
    const map: Mapping = {};
    for (;;) {
      const key = this.key();
      if (key === '__proto__' || Object.hasOwn(map, key)) throw giveUp; // js-yaml decides
      map[key] = this.valueAfterKey(indent);
      this.skipBlank();
      if (this.atEnd || this.indent < indent) return map;
      if (this.indent > indent || this.isItem()) throw giveUp;
    }
  }

  /** Reads `key:` at the current content and leaves `content` after the colon. */
  private key(): string {
    const { text, end } = this;
    const from = this.content;
    if (indicators.has(text[from] as string)) throw giveUp;
    let colon = text.indexOf(':', from);
    while (colon !== -1 && colon < end && colon + 1 < end && text.charCodeAt(colon + 1) !== 32)
      colon = text.indexOf(':', colon + 1);
    if (colon === -1 || colon >= end) throw giveUp;
    const key = text.slice(from, colon).trimEnd();
    if (key === '' || key.includes(' #') || this.isNumber(key)) throw giveUp;
    this.content = colon + 1;
    return key;
  }

  /** The value after `key:` of a mapping at `indent`: on the same line or a block below. */
  private valueAfterKey(indent: number): unknown {
    const { text, end } = this;
    let at = this.content;
    while (at < end && text.charCodeAt(at) === 32) at++;
    if (at === end) {
      this.next();
      this.skipBlank();
      if (this.atEnd || this.indent < indent) return null;
      if (this.indent === indent) return this.isItem() ? this.sequence(indent) : null;
      return this.block();
    }
    this.content = at;
    return this.inlineValue(indent);
  }

  /** A nested mapping or sequence starting at the current line. */
  private block(): unknown {
    return this.isItem() ? this.sequence(this.indent) : this.mapping(this.indent);
  }

  private sequence(indent: number): unknown[] {
    const list: unknown[] = [];
    for (;;) {
      const { text, end } = this;
      let at = this.content + 1;
      while (at < end && text.charCodeAt(at) === 32) at++;
      if (at === end) {
        this.next();
        this.skipBlank();
        list.push(!this.atEnd && this.indent > indent ? this.block() : null);
      } else {
        // `- key: value` and `- - item` open a block at the item's column, on this line.
        this.indent = at - this.start;
        this.content = at;
        if (this.isItem()) list.push(this.sequence(this.indent));
        else if (this.hasKey()) list.push(this.mapping(this.indent));
        else list.push(this.inlineValue(indent));
      }
      this.skipBlank();
      if (this.atEnd || this.indent < indent) return list;
      if (this.indent > indent) throw giveUp;
      // A key at the sequence's own indentation ends a sequence written flush with its key.
      if (!this.isItem()) return list;
    }
  }

  /** Whether the content is `key:` followed by a space or the line's end. */
  private hasKey(): boolean {
    const { text, content, end } = this;
    for (let i = text.indexOf(':', content); i !== -1 && i < end; i = text.indexOf(':', i + 1)) {
      if (i + 1 === end || text.charCodeAt(i + 1) === 32) return true;
    }
    return false;
  }

  /**
   * A scalar that starts at `content` on this line, in a block at `indent`; moves to the next
   * line. A more indented line after it would continue it: that is left to js-yaml.
   */
  private inlineValue(indent: number): unknown {
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
