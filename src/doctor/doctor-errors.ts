import { BallastError, type ErrorDetails } from '../errors/ballast-error.ts';
import type { ErrorCode } from '../errors/catalogue.ts';

/** The codes `ballast doctor` raises; their messages live in the error catalogue. */
export type DoctorErrorCode = Extract<ErrorCode, `BALLAST_DOCTOR_${string}`>;
export type DoctorErrorDetails = ErrorDetails;

/** The one error type the doctor raises on purpose; anything else is a bug. */
export class DoctorError extends BallastError {
  declare readonly code: DoctorErrorCode;

  constructor(code: DoctorErrorCode, details: DoctorErrorDetails, options?: { cause?: unknown }) {
    super(code, details, options);
    this.name = 'DoctorError';
  }
}

/** A Corefile that CoreDNS would refuse to load; carries where it went wrong. */
export class CorefileSyntaxError extends DoctorError {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(position: { file: string; line: number; column: number }, problem: string) {
    super('BALLAST_DOCTOR_COREFILE_SYNTAX', { ...position, problem });
    this.name = 'CorefileSyntaxError';
    this.file = position.file;
    this.line = position.line;
    this.column = position.column;
  }
}

export function usageError(problem: string): DoctorError {
  return new DoctorError('BALLAST_DOCTOR_USAGE', { problem });
}
