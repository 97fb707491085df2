import { type ErrorCode, errorCatalogue } from './catalogue.ts';

/** Details that explain an error; rendered into the message template and logged. */
export type ErrorDetails = Record<string, string | number | boolean | undefined>;

/**
 * The one error type Ballast raises on purpose. Its `code` is stable and documented
 * (docs/errors.md); its HTTP status comes from the catalogue.
 */
export class BallastError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: ErrorDetails;

  constructor(code: ErrorCode, details: ErrorDetails = {}, options?: { cause?: unknown }) {
    const entry = errorCatalogue[code];
    super(renderMessage(entry.message, details), options);
    this.name = 'BallastError';
    this.code = code;
    this.status = entry.status;
    this.details = details;
  }
}

export function isBallastError(error: unknown, code?: ErrorCode): error is BallastError {
  return error instanceof BallastError && (code === undefined || error.code === code);
}

function renderMessage(template: string, details: ErrorDetails): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = details[key];
    return value === undefined ? `{${key}}` : String(value);
  });
}

/** The HTTP status an upstream answered, when that is what the error is about. */
export function upstreamStatusOf(error: unknown): number | undefined {
  if (!isBallastError(error, 'BALLAST_UPSTREAM_STATUS')) return undefined;
  const status = error.details.statusCode;
  return typeof status === 'number' ? status : undefined;
}
