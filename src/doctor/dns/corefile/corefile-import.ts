import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { readTextFile } from '../../input/read-input.ts';

/** Where `import` finds files: the real filesystem, plus files that came in ConfigMaps. */
export interface ImportSource {
  /** Files a pattern names, relative to the importing file, sorted as Go's filepath.Glob does. */
  resolve(pattern: string, fromFile: string): string[];
  read(file: string): string;
  /** How to name an imported file in messages (relative to the working directory when inside it). */
  labelOf?(file: string): string;
}

export interface FileImportOptions {
  /**
   * Data keys of ConfigMaps given on the command line (e.g. coredns-custom's `*.server`),
   * found by file name when an absolute import path does not exist on this machine, the way
   * they would be mounted into the CoreDNS pod.
   */
  virtualFiles?: ReadonlyMap<string, string>;
  /** Imported files inside this directory are named relative to it in messages. */
  cwd?: string;
}

export function createFileImportSource(options: FileImportOptions = {}): ImportSource {
  const virtual = options.virtualFiles ?? new Map<string, string>();
  return {
    resolve(pattern, fromFile) {
      const base = isAbsolute(pattern) ? pattern : join(dirname(resolve(fromFile)), pattern);
      const local = hasWildcard(base) ? globOne(base) : existingFile(base);
      if (local.length > 0 || !isAbsolute(pattern)) return local;
      const matcher = wildcardMatcher(basename(pattern));
      return [...virtual.keys()].filter((name) => matcher.test(name)).sort();
    },
    read(file) {
      const text = virtual.get(file);
      return text ?? readTextFile(file, this.labelOf?.(file) ?? file).text;
    },
    labelOf(file) {
      if (!options.cwd || virtual.has(file)) return file;
      const path = relative(options.cwd, file);
      return path.startsWith('..') || isAbsolute(path) ? file : path;
    },
  };
}

export function hasWildcard(pattern: string): boolean {
  return /[*?[]/.test(pattern);
}

/** CoreDNS refuses patterns with more than one wildcard: they can take too long to expand. */
export function globProblem(pattern: string): string | undefined {
  if ((pattern.match(/\*/g)?.length ?? 0) > 1 || (pattern.match(/\?/g)?.length ?? 0) > 1) {
    return `import pattern ${pattern} may hold only one wildcard`;
  }
  if (pattern.includes('[') && pattern.includes(']')) {
    return `import pattern ${pattern} may not use [ ] classes`;
  }
  if (hasWildcard(dirname(pattern))) {
    return `import pattern ${pattern} may use a wildcard only in the file name`;
  }
  return undefined;
}

function existingFile(path: string): string[] {
  try {
    return statSync(path).isFile() ? [path] : [];
  } catch {
    return [];
  }
}

function globOne(pattern: string): string[] {
  const directory = dirname(pattern);
  const matcher = wildcardMatcher(basename(pattern));
  let names: string[];
  try {
    names = readdirSync(directory);
  } catch {
    return [];
  }
  return names
    .filter((name) => matcher.test(name))
    .sort()
    .map((name) => join(directory, name))
    .filter((path) => existingFile(path).length > 0);
}

function wildcardMatcher(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((ch) => {
      if (ch === '*') return '[^/]*';
      if (ch === '?') return '[^/]';
      return ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return new RegExp(`^${body}$`);
}
