import { pino } from 'pino';

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
    },
    destination ?? pino.destination({ fd: 1, sync: false }),
  );
}
