import { isBallastError } from '../errors/ballast-error.ts';
import { createLogger, type LogFormat, type Logger } from '../observability/logger.ts';

/** Exit codes of sync, export and import: 1 means "ran, something failed", 2 "could not run". */
export const toolExitCodes = { ok: 0, failed: 1, couldNotRun: 2, interrupted: 130 } as const;

/**
 * The logger of a command that is not the server: on stderr, so stdout keeps the report (or
 * `--json`), and only warnings unless `--verbose`.
 */
export function toolLogger(
  log: { level: string; format: LogFormat | 'auto' },
  verbose: boolean,
): Logger {
  return createLogger({ level: verbose ? log.level : 'warn', format: log.format, fd: 2 });
}

/**
 * Prints the error for a person (or as JSON) and returns the exit code: `failed` for the codes
 * given (the command ran and refused its input), else "could not run".
 */
export function reportToolError(
  error: unknown,
  json: boolean,
  failureCodes: readonly string[] = [],
): number {
  const known = isBallastError(error);
  const body = {
    code: known ? error.code : 'BALLAST_INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  };
  if (json) process.stdout.write(`${JSON.stringify({ ok: false, error: body }, null, 2)}\n`);
  process.stderr.write(`ballast: ${body.code}: ${body.message}\n`);
  if (!known && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  return failureCodes.includes(body.code) ? toolExitCodes.failed : toolExitCodes.couldNotRun;
}

/** An AbortSignal that fires on the first SIGINT or SIGTERM; a second one exits at once. */
export function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(toolExitCodes.interrupted);
    process.stderr.write(`\nballast: ${name}: stopping after the items in flight\n`);
    controller.abort(new Error(`interrupted by ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    signal: controller.signal,
    dispose() {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
}
