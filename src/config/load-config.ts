import { readFile } from 'node:fs/promises';
import yaml from 'js-yaml';
import { BallastError } from '../errors/ballast-error.ts';
import { configError } from './config-error.ts';
import { applyEnvOverrides } from './env-overrides.ts';
import { type Config, configSchema } from './schema.ts';
import { resolveSecretRef } from './secret-ref.ts';
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

/**
 * The config file of a command that serves, fetches or exports: on the defaults alone it would
 * run with nothing configured and say nothing, which looks like working.
 */
export function requireConfigFile(file: string | undefined, command: string): string {
  if (file === undefined || file === '')
    throw new BallastError('BALLAST_CONFIG_MISSING', { command });
  return file;
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
  const overrides = applyEnvOverrides(raw as Record<string, unknown>, env);
  const result = configSchema.safeParse(raw);
  if (!result.success) throw configError(result.error, raw, overrides);
  checkUpstreamAuth(result.data, env);
  checkWebhookSecrets(result.data, env);
  return { config: deepFreeze(result.data), envOverrides: overrides.map((o) => o.name) };
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

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Webhook header secrets are resolved at load too, so `config check` finds a missing one. */
function checkWebhookSecrets(config: Config, env: NodeJS.ProcessEnv): void {
  config.alerts.webhooks.forEach((webhook, i) => {
    for (const [name, value] of Object.entries(webhook.headers)) {
      if (typeof value !== 'string')
        resolveSecretRef(value, `alerts.webhooks[${i}].headers.${name}`, env);
    }
  });
}
