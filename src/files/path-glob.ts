/**
 * Compiles `mutable:` globs into one test. `*` and `?` stay inside a path segment, `**`
 * crosses segments; a glob without `/` is matched against the last segment (the file name),
 * so `helm-latest-version` or `get-helm-*` work wherever the file sits.
 */
export function compileGlobs(globs: readonly string[]): (path: string) => boolean {
  const compiled = globs.map((glob) => ({
    regex: globToRegExp(glob),
    nameOnly: !glob.includes('/'),
  }));
  return (path) => {
    const name = path.slice(path.lastIndexOf('/') + 1);
    return compiled.some(({ regex, nameOnly }) => regex.test(nameOnly ? name : path));
  };
}

export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] as string;
    if (char === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more whole segments; a trailing `**` matches the rest.
      if (glob[i + 2] === '/') {
        source += '(?:.*/)?';
        i += 2;
      } else {
        source += '.*';
        i += 1;
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
