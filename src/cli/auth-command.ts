import { Command, InvalidArgumentError } from 'commander';
import { generateBearerToken, sha256Hex } from '../auth/bearer-token.ts';

export function authCommand(): Command {
  const auth = new Command('auth').description('credentials for clients of Ballast');
  auth
    .command('hash-token')
    .description(
      'print a new random bearer token, then the auth.tokens entry that stores its sha256 (the token itself is shown only here)',
    )
    .option('--name <name>', 'the name access lists will use for this token', parseName, 'ci')
    .action((options: { name: string }) => {
      const token = generateBearerToken();
      process.stdout.write(
        `${token}\n- { name: ${options.name}, sha256: "${sha256Hex(token)}" }\n`,
      );
    });
  return auth;
}

function parseName(value: string): string {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(value))
    throw new InvalidArgumentError('expected letters, digits, ".", "_" or "-"');
  return value;
}
