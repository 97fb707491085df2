import yaml from 'js-yaml';

const prefix = 'BALLAST_';

/**
 * Applies `BALLAST_*` variables onto the raw config: `__` separates path segments,
 * segments are SNAKE_CASE of the camelCase keys, numbers index arrays, and values are
 * read as YAML scalars or flow collections. `BALLAST_LOG__LEVEL=debug` sets `log.level`;
 * `BALLAST_REPOS__0__REFRESH=1m` sets `repos[0].refresh`.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): string[] {
  const applied: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined || name === 'BALLAST_CONFIG') continue;
    const path = name.slice(prefix.length).split('__').map(toKey);
    if (path.some((segment) => segment === '')) continue;
    setPath(raw, path, parseValue(value));
    applied.push(name);
  }
  return applied;
}

function toKey(segment: string): string | number {
  if (/^\d+$/.test(segment)) return Number(segment);
  return segment.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function parseValue(value: string): unknown {
  try {
    return yaml.load(value, { schema: yaml.JSON_SCHEMA }) ?? value;
  } catch {
    return value;
  }
}

function setPath(target: Record<string, unknown>, path: (string | number)[], value: unknown): void {
  let node: Record<string | number, unknown> = target;
  path.forEach((segment, i) => {
    if (i === path.length - 1) {
      node[segment] = value;
      return;
    }
    const next = node[segment];
    if (typeof next !== 'object' || next === null) {
      node[segment] = typeof path[i + 1] === 'number' ? [] : {};
    }
    node = node[segment] as Record<string | number, unknown>;
  });
}
