import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { BallastError } from '../errors/ballast-error.ts';

/**
 * A secret in the config is a reference, never the secret itself: `{ env: NAME }` reads an
 * environment variable, `{ file: PATH }` a file (a mounted Kubernetes or Docker secret; one
 * trailing newline is dropped). The same form wherever the config takes a secret.
 */
export const secretRefSchema = z.union(
  [
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name'),
    }),
    z.strictObject({ file: z.string().min(1, 'expected a file path') }),
  ],
  {
    error: (issue) =>
      typeof issue.input === 'string'
        ? 'expected a reference, { env: NAME } or { file: PATH }: secrets are not written into the config'
        : 'expected { env: NAME } or { file: PATH }',
  },
);

export type SecretRef = z.output<typeof secretRefSchema>;

/** Secret files are a line; anything bigger is a wrong path. */
const maxSecretFileBytes = 64 * 1024;

/**
 * The secret's value, read now. A reference that cannot be resolved is a config error naming
 * the key (`repos[0].upstreams[0].auth.password: environment variable X is not set`); the
 * message never contains the value.
 */
export function resolveSecretRef(
  ref: SecretRef,
  key: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const fail = (problem: string) => new BallastError('BALLAST_CONFIG_INVALID', { key, problem });
  if ('env' in ref) {
    const value = env[ref.env];
    if (value === undefined) throw fail(`environment variable ${ref.env} is not set`);
    if (value === '') throw fail(`environment variable ${ref.env} is empty`);
    if (/[\r\n]/.test(value)) throw fail(`environment variable ${ref.env} holds a line break`);
    return value;
  }
  let text: string;
  try {
    const bytes = readFileSync(ref.file);
    if (bytes.length > maxSecretFileBytes)
      throw fail(`file ${ref.file} is larger than ${maxSecretFileBytes} bytes: not a secret`);
    text = bytes.toString('utf8');
  } catch (error) {
    if (error instanceof BallastError) throw error;
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw fail(`file ${ref.file} cannot be read (${code})`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw fail(`file ${ref.file} is empty`);
  if (/[\r\n]/.test(value)) throw fail(`file ${ref.file} holds more than one line`);
  return value;
}
