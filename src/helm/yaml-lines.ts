/**
 * The line cursor of the fast index reader (index-yaml-fast.ts): where the current line
 * starts and ends, its indentation, and where its content starts.
 */

/** Thrown inside the reader when the text leaves the supported form. */
export const giveUp = Symbol('outside the fast form');

export class YamlLines {
  protected readonly text: string;
  /** Start of the current line, its end (before `\n`), indentation, and where content starts. */
  protected start = 0;
  protected end = 0;
  protected indent = 0;
  protected content = 0;
  protected atEnd = false;

  constructor(text: string) {
    this.text = text;
  }

  /** Reads the line that starts at `at`. */
  protected load(at: number): void {
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

  protected next(): void {
    this.load(this.end + 1);
  }

  /** Moves past empty lines and whole-line comments. */
  protected skipBlank(): void {
    while (!this.atEnd && (this.content === this.end || this.text.charCodeAt(this.content) === 35))
      this.next();
  }

  /** Whether the current content is a sequence item (`-` then a space or the line's end). */
  protected isItem(): boolean {
    const { text, content, end } = this;
    return (
      text.charCodeAt(content) === 45 &&
      (content + 1 === end || text.charCodeAt(content + 1) === 32)
    );
  }

  /**
   * Where the content's `key:` ends: the first colon followed by a space or the line's end;
   * -1 when there is none. Only this line is looked at, so a long run of lines without a
   * colon costs a pass over each, not over the rest of the document.
   */
  protected keyColon(): number {
    const { text, content, end } = this;
    for (let i = content; i < end; i++) {
      if (text.charCodeAt(i) === 58 && (i + 1 === end || text.charCodeAt(i + 1) === 32)) return i;
    }
    return -1;
  }
}
