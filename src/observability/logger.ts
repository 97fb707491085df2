import { pino } from 'pino';
import { isBallastError } from '../errors/ballast-error.ts';

export type Logger = pino.Logger;

/**
 * The root logger, the one module-level singleton: modules take `logger.child({ module })`.
 * Credentials never reach the log.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'ballast' },
      redact: {
        paths: [
          '*.headers.authorization',
          '*.headers.cookie',
          'authorization',
          'password',
          'token',
          '*.password',
          '*.token',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/**
 * A Ballast error is an expected condition (an upstream down, a bad request): its code and
 * message say all, and a stack trace would bury them. Anything else is a bug and keeps its stack.
 */
function serializeError(error: unknown): unknown {
  if (isBallastError(error)) return { type: error.name, code: error.code, message: error.message };
  return pino.stdSerializers.err(error as Error);
}
