import { isBallastError } from '../errors/ballast-error.ts';

/** Prints an error for a person (code and message; a stack only for the unexpected) and exits 1. */
export function reportAndExit(error: unknown): never {
  if (isBallastError(error)) {
    process.stderr.write(`ballast: ${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write(
      `ballast: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
}
