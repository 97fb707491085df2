import type { z } from 'zod';
import { BallastError } from '../errors/ballast-error.ts';
import type { EnvOverride } from './env-overrides.ts';

const typeNames: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'true or false',
  object: 'a mapping of keys',
  array: 'a list',
};

/**
 * The first problem of a config as one line a person can act on: the key, what was expected,
 * the value found, and the `BALLAST_*` variable when the value came from the environment.
 */
export function configError(
  error: z.ZodError,
  raw: unknown,
  overrides: readonly EnvOverride[],
): BallastError {
  const issue = error.issues[0];
  const path = issue?.path ?? [];
  const key = formatConfigPath(path);
  const value = valueAt(raw, path);
  let problem = issue ? expectation(issue) : 'invalid';
  if (issue?.code === 'unrecognized_keys')
    problem = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  else if (!/\bgot\b/.test(problem)) problem += `, got ${describe(value, path)}`;
  const culprits =
    issue?.code === 'unrecognized_keys' ? issue.keys.map((k) => [...path, k]) : [path];
  const source = overrides.find((o) =>
    culprits.some((p) => startsWith(p, o.path) || startsWith(o.path, p)),
  );
  if (source) problem += ` (from ${source.name}=${describeText(source.value, source.path)})`;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return new BallastError('BALLAST_CONFIG_INVALID', { key, problem: problem + more });
}

export function formatConfigPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** Zod's wording rewritten to say what a config key takes. */
function expectation(issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      // A key that must be absent says why in its own message.
      if (issue.expected === 'never') return issue.message;
      return `expected ${typeNames[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `expected one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'too_small':
      return issue.origin === 'number'
        ? `expected a number ${issue.inclusive ? '≥' : '>'} ${issue.minimum}`
        : issue.message;
    case 'too_big':
      return issue.origin === 'number'
        ? `expected a number ${issue.inclusive ? '≤' : '<'} ${issue.maximum}`
        : issue.message;
    default:
      return issue.message;
  }
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let node = raw;
  for (const segment of path) {
    if (typeof node !== 'object' || node === null) return undefined;
    node = (node as Record<PropertyKey, unknown>)[segment];
  }
  return node;
}

/** Keys under which a value may be a secret: such values are never shown. */
const secretKeys = new Set(['auth', 'credentials', 'password', 'token', 'headers']);

/**
 * A value as it would be written in YAML, cut short (a config error never echoes a novel),
 * with secrets left out: nothing under a secret-bearing key, no credentials inside a URL.
 */
function describe(value: unknown, path: readonly PropertyKey[]): string {
  if (value === undefined) return 'nothing';
  return describeText(JSON.stringify(value) ?? String(value), path);
}

function describeText(text: string, path: readonly PropertyKey[]): string {
  if (path.some((segment) => typeof segment === 'string' && secretKeys.has(segment)))
    return 'a value not shown here (it may hold a secret)';
  const shown = text.replace(/\/\/[^/@\s"]*@/g, '//(credentials)@');
  return shown.length > 80 ? `${shown.slice(0, 77)}...` : shown;
}

function startsWith(path: readonly PropertyKey[], prefix: readonly PropertyKey[]): boolean {
  return prefix.length <= path.length && prefix.every((segment, i) => path[i] === segment);
}
