import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { BallastError } from '../errors/ballast-error.ts';
import { applyEnvOverrides } from './env-overrides.ts';
import { type Config, configSchema } from './schema.ts';
import { checkUpstreamAuth } from './upstream-auth.ts';

export interface LoadedConfig {
  config: Config;
  /** `BALLAST_*` variables that changed the file's values, for the start-up log. */
  envOverrides: string[];
}

/**
 * Reads, overrides from the environment, validates and freezes the config; every secret
 * reference must resolve (the app reads them again when it builds its clients).
 */
export async function loadConfig(
  file: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LoadedConfig> {
  const text = file === undefined ? '' : await readConfigFile(file);
  return parseConfig(text, file ?? '(defaults)', env);
}

export function parseConfig(
  text: string,
  source: string,
  env: NodeJS.ProcessEnv = {},
): LoadedConfig {
  let raw: unknown;
  try {
    raw = yaml.load(text, { filename: source, schema: yaml.JSON_SCHEMA }) ?? {};
  } catch (error) {
    throw new BallastError('BALLAST_CONFIG_INVALID', {
      key: source,
      problem: `not valid YAML: ${(error as Error).message.split('\n')[0]}`,
    });
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BallastError('BALLAST_CONFIG_INVALID', {
      key: '(root)',
      problem: 'expected a mapping of keys',
    });
  }
  const envOverrides = applyEnvOverrides(raw as Record<string, unknown>, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw configError(result.error);
  checkUpstreamAuth(result.data, env);
  return { config: deepFreeze(result.data), envOverrides };
}

async function readConfigFile(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new BallastError('BALLAST_CONFIG_UNREADABLE', {
      file,
      reason: (error as NodeJS.ErrnoException).code ?? String(error),
    });
  }
}

function configError(error: z.ZodError): BallastError {
  const issue = error.issues[0];
  const key = issue ? formatPath(issue.path) : '(root)';
  let problem = issue?.message ?? 'invalid';
  if (issue?.code === 'unrecognized_keys')
    problem = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more problem(s))` : '';
  return new BallastError('BALLAST_CONFIG_INVALID', { key, problem: problem + more });
}

function formatPath(path: PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((segment, i) =>
      typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}
