import { CorefileSyntaxError, DoctorError } from '../../doctor-errors.ts';
import { type Environment, findPlaceholders, substituteEnv } from './corefile-env.ts';
import {
  globProblem,
  hasWildcard,
  type ImportedText,
  type ImportSource,
} from './corefile-import.ts';
import { lexCorefile, maxTokens } from './corefile-lexer.ts';
import type {
  Corefile,
  Directive,
  EnvReference,
  ServerBlock,
  ServerKey,
  SourcePosition,
  Token,
} from './corefile-model.ts';
import { parseServerKey } from './server-key.ts';

export interface ParseOptions {
  /** Name used in positions and messages. */
  label: string;
  /** Real path of the file, for resolving relative imports; defaults to the label. */
  path?: string;
  env?: Environment;
  imports?: ImportSource;
  lineOffset?: number;
  columnOffset?: number;
  configMap?: string;
}

/** Caps on import expansion, so `import` of a file that imports itself twice cannot explode. */
const maxFileImports = 200;
const maxSnippetImports = 1000;

/**
 * Parses a Corefile with CoreDNS's (Caddyfile) grammar. Throws only `CorefileSyntaxError`
 * (a `DoctorError`), with file, line and column, for input CoreDNS would refuse.
 */
export function parseCorefile(text: string, options: ParseOptions): Corefile {
  const root = options.path ?? options.label;
  const env = options.env ?? {};
  const unsetEnv: EnvReference[] = [];
  const imported: string[] = [];
  const snippets = new Map<string, Token[]>();
  const blocks: ServerBlock[] = [];
  let fileImports = 0;
  let snippetImports = 0;
  let tokens = lexCorefile(text, {
    file: options.label,
    origin: [root],
    lineOffset: options.lineOffset ?? 0,
    columnOffset: options.columnOffset ?? 0,
  });
  let cursor = 0;

  const at = (token: Token): SourcePosition => ({
    file: token.file,
    line: token.line,
    column: token.column,
  });
  const fail = (token: Token | undefined, problem: string): never => {
    const last = tokens[tokens.length - 1];
    const where = token ?? last;
    throw new CorefileSyntaxError(
      where ? at(where) : { file: options.label, line: 1, column: 1 },
      problem,
    );
  };
  const value = (token: Token) => substituteEnv(token.text, env, at(token), unsetEnv);
  const isBrace = (token: Token | undefined, brace: '{' | '}') =>
    token !== undefined && !token.quoted && token.text === brace;
  const isNewLine = (index: number) => {
    const current = tokens[index];
    const previous = tokens[index - 1];
    if (!current || !previous) return true;
    return previous.origin !== current.origin || previous.endLine !== current.line;
  };

  const doImport = (index: number) => {
    const directive = tokens[index] as Token;
    const argument = tokens[index + 1];
    if (!argument || isNewLine(index + 1)) {
      fail(directive, 'import needs a file, a glob or a snippet name');
    }
    const arg = argument as Token;
    if (tokens[index + 2] && !isNewLine(index + 2)) {
      fail(tokens[index + 2], 'import takes one argument (a file, a glob or a snippet name)');
    }
    const pattern = value(arg);
    if (pattern === '') fail(arg, 'import needs a non-empty file name');
    let replacement: Token[] = [];
    const snippet = snippets.get(pattern);
    if (snippet) {
      const label = `snippet (${pattern})`;
      if (directive.origin.includes(label)) {
        fail(arg, `import cycle: ${[...directive.origin, label].join(' -> ')}`);
      }
      if (++snippetImports > maxSnippetImports) fail(arg, 'too many snippet imports');
      const origin = [...directive.origin, label];
      replacement = snippet.map((t) => ({ ...t, origin }));
    } else {
      const problem = hasWildcard(pattern) ? globProblem(pattern) : undefined;
      if (problem) fail(arg, problem);
      if (!options.imports) fail(arg, `cannot import ${pattern}: imports are not available here`);
      const source = options.imports as ImportSource;
      const importer = directive.origin[directive.origin.length - 1] ?? root;
      const fromFile = importer.startsWith('snippet (') ? root : importer;
      const files = source.resolve(pattern, fromFile);
      if (files.length === 0 && !hasWildcard(pattern)) {
        fail(arg, `file to import not found: ${pattern}`);
      }
      for (const file of files) {
        if (directive.origin.includes(file)) {
          const chain = [...directive.origin, file].map((f) => source.labelOf?.(f) ?? f);
          fail(arg, `import cycle: ${chain.join(' -> ')}`);
        }
        if (++fileImports > maxFileImports) fail(arg, 'too many file imports');
        let content: ImportedText;
        try {
          content = source.read(file);
        } catch (error) {
          const reason = error instanceof DoctorError ? error.message : String(error);
          return fail(arg, `cannot import ${file}: ${reason}`);
        }
        imported.push(source.labelOf?.(file) ?? file);
        replacement.push(
          ...lexCorefile(content.text, {
            file: content.label,
            origin: [...directive.origin, file],
            lineOffset: content.lineOffset ?? 0,
            columnOffset: content.columnOffset ?? 0,
          }),
        );
      }
    }
    if (tokens.length + replacement.length > maxTokens) {
      fail(arg, `imports expand to more than ${maxTokens} words`);
    }
    tokens = tokens.slice(0, index).concat(replacement, tokens.slice(index + 2));
  };

  const parseLine = (nested: boolean): Directive => {
    const nameToken = tokens[cursor] as Token;
    const directive: Directive = {
      name: value(nameToken),
      args: [],
      block: null,
      position: at(nameToken),
    };
    cursor++;
    while (cursor < tokens.length && !isNewLine(cursor)) {
      const token = tokens[cursor] as Token;
      if (isBrace(token, '{')) {
        directive.block = [...(directive.block ?? []), ...parseNested()];
        continue;
      }
      if (isBrace(token, '}')) {
        if (nested) break;
        fail(token, "unexpected '}': a directive and the closing brace must be on separate lines");
      }
      directive.args.push(value(token));
      cursor++;
    }
    return directive;
  };

  const parseNested = (): Directive[] => {
    const open = tokens[cursor] as Token;
    cursor++;
    const lines: Directive[] = [];
    for (;;) {
      const token = tokens[cursor];
      if (!token) return fail(open, "block opened here is never closed: expected '}'");
      if (isBrace(token, '}')) {
        cursor++;
        return lines;
      }
      if (isBrace(token, '{')) fail(token, "unexpected '{' at the start of a line");
      lines.push(parseLine(true));
    }
  };

  const parseKeys = (): { keys: Token[]; glued?: Token } => {
    const keys: Token[] = [];
    let expectingAnother = false;
    while (cursor < tokens.length) {
      const token = tokens[cursor] as Token;
      const text = value(token);
      if (text === 'import' && !token.quoted && isNewLine(cursor)) {
        doImport(cursor);
        continue;
      }
      if (isBrace(token, '{')) {
        if (expectingAnother) fail(token, "expected another key after the comma but found '{'");
        return { keys };
      }
      if (isBrace(token, '}')) fail(token, "unexpected '}' where a server block key belongs");
      if (!token.quoted && text.length > 1 && text.endsWith('{')) {
        // `.:53{` — CoreDNS would take `{` as part of the key; keep parsing so the rest is checked.
        keys.push({ ...token, text: text.slice(0, -1).replace(/,$/, '') });
        cursor++;
        return { keys, glued: token };
      }
      if (text !== '') {
        expectingAnother = text.endsWith(',');
        keys.push({ ...token, text: expectingAnother ? text.slice(0, -1) : text });
      }
      cursor++;
      if (cursor >= tokens.length) {
        if (expectingAnother) fail(token, 'expected another key after the comma');
        break;
      }
      if (!expectingAnother && isNewLine(cursor)) break;
    }
    return { keys };
  };

  const parseSnippet = (name: string, keyToken: Token) => {
    if (snippets.has(name)) fail(keyToken, `snippet (${name}) is declared twice`);
    const open = tokens[cursor];
    if (!isBrace(open, '{')) fail(open ?? keyToken, `snippet (${name}) needs a block in braces`);
    cursor++;
    const body: Token[] = [];
    let depth = 1;
    for (; cursor < tokens.length; cursor++) {
      const token = tokens[cursor] as Token;
      if (isBrace(token, '{')) depth++;
      if (isBrace(token, '}') && --depth === 0) break;
      body.push(token);
    }
    if (depth !== 0) fail(open, `snippet (${name}) is never closed: expected '}'`);
    cursor++;
    snippets.set(name, body);
  };

  const parseBlock = () => {
    const first = tokens[cursor] as Token;
    const { keys, glued } = parseKeys();
    if (keys.length === 0 && cursor >= tokens.length) return;
    const onlyKey = keys[0];
    if (keys.length === 1 && onlyKey && /^\(.*\)$/.test(onlyKey.text) && !glued) {
      parseSnippet(onlyKey.text.slice(1, -1), onlyKey);
      return;
    }
    if (keys.length === 0) fail(tokens[cursor] ?? first, 'a server block needs at least one key');
    const open = glued ?? tokens[cursor];
    const opened = glued !== undefined || isBrace(tokens[cursor], '{');
    if (opened && !glued) cursor++;
    const block: ServerBlock = {
      keys: keys.map((k): ServerKey => parseServerKey(k.text, at(k))),
      directives: [],
      position: at(keys[0] as Token),
    };
    if (glued) block.gluedBrace = at(glued);
    blocks.push(block);
    for (;;) {
      const token = tokens[cursor];
      if (!token) {
        if (opened) fail(open, "server block opened here is never closed: expected '}'");
        return;
      }
      if (isBrace(token, '}')) {
        if (!opened) fail(token, "unexpected '}' without an opening brace");
        cursor++;
        return;
      }
      if (isBrace(token, '{')) fail(token, "unexpected '{' at the start of a line");
      if (value(token) === 'import' && !token.quoted) {
        doImport(cursor);
        continue;
      }
      block.directives.push(parseLine(false));
    }
  };

  while (cursor < tokens.length) parseBlock();

  const placeholders: EnvReference[] = [];
  for (const token of tokens) {
    for (const name of findPlaceholders(token.text))
      placeholders.push({ name, position: at(token) });
  }
  const corefile: Corefile = { label: options.label, blocks, unsetEnv, placeholders, imported };
  if (options.configMap) corefile.configMap = options.configMap;
  return corefile;
}
