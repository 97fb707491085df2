import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BallastError } from '../errors/ballast-error.ts';

/**
 * A secret is never written inline in the config: it names where it lives, an environment
 * variable or a file (a mounted Kubernetes secret), and is read once at start.
 */
export const secretRefSchema = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name') }),
  z.strictObject({ file: z.string().min(1) }),
]);

export type SecretRef = z.output<typeof secretRefSchema>;

/** The secret's value; a missing variable or unreadable file names the config key. */
export function resolveSecretRef(
  ref: SecretRef,
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined || value === '')
      throw new BallastError('BALLAST_SECRET_UNAVAILABLE', {
        key,
        reason: `environment variable ${ref.env} is not set`,
      });
    return value;
  }
  try {
    // Files mounted from secrets usually end with a newline that is not part of the value.
    return readFileSync(ref.file, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new BallastError('BALLAST_SECRET_UNAVAILABLE', {
      key,
      reason: `cannot read ${ref.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
    });
  }
}
