import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { PrettyOptions, PrettyStream } from 'pino-pretty';
import { isBallastError } from '../errors/ballast-error.ts';

// Loaded only for the pretty format: a server logging JSON does not carry the formatter.
const prettyStream = (options: PrettyOptions): PrettyStream =>
  (
    createRequire(import.meta.url)('pino-pretty') as { build(o: PrettyOptions): PrettyStream }
  ).build(options);

export type Logger = pino.Logger;

/** `json`: one JSON object a line, for log collectors; `pretty`: a line a person reads. */
export type LogFormat = 'pretty' | 'json';

export interface LoggerOptions {
  level: string;
  /** `auto` is `pretty` when the output is a terminal, `json` otherwise. */
  format?: LogFormat | 'auto';
  /** File descriptor written to: 1 for the server, 2 for the commands whose stdout is a report. */
  fd?: 1 | 2;
  /** Written to instead of `fd`, as JSON lines (tests read what is logged). */
  stream?: pino.DestinationStream;
}

/**
 * The root logger, the one module-level singleton: modules take `logger.child({ module })`.
 * Credentials never reach the log.
 */
export function createLogger({ level, format = 'json', fd = 1, stream }: LoggerOptions): Logger {
  const pretty = !stream && (format === 'pretty' || (format === 'auto' && isTerminal(fd)));
  return pino(
    {
      level,
      base: { service: 'ballast' },
      redact: {
        paths: [
          '*.headers.authorization',
          '*.headers["proxy-authorization"]',
          '*.headers.cookie',
          'headers.authorization',
          'authorization',
          'password',
          'token',
          'access_token',
          'tokenKey',
          '*.password',
          '*.token',
          '*.access_token',
          '*.tokenKey',
        ],
        censor: '[redacted]',
      },
      timestamp: pino.stdTimeFunctions.isoTime,
      serializers: { err: serializeError },
    },
    pretty
      ? prettyStream({
          destination: fd,
          sync: fd === 2,
          colorize: isTerminal(fd),
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,service',
          singleLine: true,
        })
      : (stream ?? pino.destination({ fd, sync: fd === 2 })),
  );
}

function isTerminal(fd: 1 | 2): boolean {
  return (fd === 1 ? process.stdout : process.stderr).isTTY === true;
}

/**
 * A Ballast error is an expected condition (an upstream down, a bad request): its code and
 * message say all, and a stack trace would bury them. Anything else is a bug and keeps its stack.
 */
function serializeError(error: unknown): unknown {
  if (isBallastError(error)) return { type: error.name, code: error.code, message: error.message };
  return pino.stdSerializers.err(error as Error);
}
