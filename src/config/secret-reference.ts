import { readFile } from 'node:fs/promises';
import { BallastError } from '../errors/ballast-error.ts';
import type { SecretReference } from './schema.ts';

/**
 * The value of a `{ env }` or `{ file }` secret, read at start. An error names the config key
 * and where the secret was looked for, never the value.
 */
export async function resolveSecret(
  reference: SecretReference,
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  let value: string | undefined;
  if ('env' in reference) {
    value = env[reference.env];
    if (value === undefined)
      throw configProblem(key, `environment variable ${reference.env} is not set`);
  } else {
    try {
      value = await readFile(reference.file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? String(error);
      throw configProblem(key, `cannot read ${reference.file}: ${reason}`);
    }
  }
  // A trailing newline from `echo … > file` is not part of the secret.
  value = value.replace(/\r?\n$/, '');
  if (value === '') throw configProblem(key, 'the secret is empty');
  return value;
}

function configProblem(key: string, problem: string): BallastError {
  return new BallastError('BALLAST_CONFIG_INVALID', { key, problem });
}
