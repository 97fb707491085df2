import { readdirSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { readTextFile } from '../../input/read-input.ts';

/** The text of an imported file and where its lines sit, for positions in messages. */
export interface ImportedText {
  text: string;
  label: string;
  lineOffset?: number;
  columnOffset?: number;
}

/** Where `import` finds files: the real filesystem, plus files that came in ConfigMaps. */
export interface ImportSource {
  /** Files a pattern names, relative to the importing file, sorted as Go's filepath.Glob does. */
  resolve(pattern: string, fromFile: string): string[];
  read(file: string): ImportedText;
  /** How to name an imported file in messages (relative to the working directory when inside it). */
  labelOf?(file: string): string;
}

/** A ConfigMap key given on the command line, as CoreDNS would see it mounted in its pod. */
export interface PodFile extends ImportedText {
  /** The name it is mounted under (the ConfigMap key). */
  name: string;
}

/** Paths of files that live in the CoreDNS pod (ConfigMap keys), not on this machine. */
export const podPathPrefix = 'configmap:';

export interface FileImportOptions {
  /**
   * ConfigMap keys given on the command line (e.g. coredns-custom's `*.server`), by pod path
   * (`configmap:NAMESPACE/NAME/KEY`). An import from a Corefile that came in a ConfigMap
   * resolves in the pod, where the doctor cannot see which directory each ConfigMap is
   * mounted on: it finds these files by name. An import from a Corefile on disk looks on
   * disk first, then here.
   */
  podFiles?: ReadonlyMap<string, PodFile>;
  /** Imported files inside this directory are named relative to it in messages. */
  cwd?: string;
}

export function createFileImportSource(options: FileImportOptions = {}): ImportSource {
  const pod = options.podFiles ?? new Map<string, PodFile>();
  const labelOf = (file: string) => {
    if (pod.has(file)) return file.slice(podPathPrefix.length);
    if (!options.cwd) return file;
    const path = relative(options.cwd, file);
    return path.startsWith('..') || isAbsolute(path) ? file : path;
  };
  return {
    resolve(pattern, fromFile) {
      if (!fromFile.startsWith(podPathPrefix)) {
        const base = isAbsolute(pattern) ? pattern : join(dirname(resolve(fromFile)), pattern);
        const local = hasWildcard(base) ? globOne(base) : existingFile(base);
        if (local.length > 0) return local;
      }
      const matcher = wildcardMatcher(basename(pattern));
      return [...pod.entries()]
        .filter(([, file]) => matcher.test(file.name))
        .sort(([, a], [, b]) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map(([path]) => path);
    },
    read(file) {
      return (
        pod.get(file) ?? { text: readTextFile(file, labelOf(file)).text, label: labelOf(file) }
      );
    },
    labelOf,
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
