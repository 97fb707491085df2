import yaml from 'js-yaml';
import { BallastError } from '../errors/ballast-error.ts';
import { formatConfigPath } from './config-error.ts';

const prefix = 'BALLAST_';

/** A `BALLAST_*` variable applied to the config: where it went and what it said. */
export interface EnvOverride {
  name: string;
  value: string;
  path: (string | number)[];
}

/**
 * Applies `BALLAST_*` variables onto the raw config: `__` separates path segments,
 * segments are SNAKE_CASE of the camelCase keys, numbers index arrays, and values are
 * read as YAML scalars or flow collections. `BALLAST_LOG__LEVEL=debug` sets `log.level`;
 * `BALLAST_REPOS__0__REFRESH=1m` sets `repos[0].refresh`. A variable that addresses a list
 * entry the file does not have is refused, naming the variable: a sparse list would only fail
 * later, far from its cause.
 */
export function applyEnvOverrides(
  raw: Record<string, unknown>,
  env: NodeJS.ProcessEnv,
): EnvOverride[] {
  const applied: EnvOverride[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(prefix) || value === undefined || name === 'BALLAST_CONFIG') continue;
    const path = name.slice(prefix.length).split('__').map(toKey);
    if (path.some((segment) => segment === '')) continue;
    const problem = setPath(raw, path, parseValue(value));
    if (problem)
      throw new BallastError('BALLAST_CONFIG_INVALID', {
        key: name,
        problem: `${problem} (value ${JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)})`,
      });
    applied.push({ name, value, path });
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

/** Sets the value; returns why it cannot when the path does not fit the config's shape. */
function setPath(
  target: Record<string, unknown>,
  path: (string | number)[],
  value: unknown,
): string | undefined {
  let node: unknown = target;
  for (const [i, segment] of path.entries()) {
    const where = i === 0 ? 'the config' : formatConfigPath(path.slice(0, i));
    if (Array.isArray(node)) {
      if (typeof segment !== 'number') return `${where} is a list: address an entry by its index`;
      if (segment >= node.length)
        return `${where} has ${node.length} ${node.length === 1 ? 'entry' : 'entries'}, index ${segment} does not exist`;
    }
    const parent = node as Record<string | number, unknown>;
    if (i === path.length - 1) {
      parent[segment] = value;
      return undefined;
    }
    const next = parent[segment];
    if (typeof next !== 'object' || next === null) {
      if (typeof path[i + 1] === 'number')
        return `${formatConfigPath(path.slice(0, i + 1))} has 0 entries, index ${path[i + 1]} does not exist`;
      parent[segment] = {};
    }
    node = parent[segment];
  }
  return undefined;
}
