import { BallastError } from '../errors/ballast-error.ts';

/**
 * What the fault taxonomy looks at, pulled out of any error Ballast meets: its own
 * BallastError (code + details), a raw Node/undici error (`.code`), or a wrapper such as
 * undici's `TypeError: fetch failed` whose `.cause` carries the code.
 */
export interface FaultFacts {
  /** BallastError code (`BALLAST_…`), or the raw error's `.code`. */
  code?: string;
  /** The system/undici code: `details.errno` of a BallastError, else the raw `.code`. */
  errno?: string;
  /** `details.stage` of BALLAST_UPSTREAM_TIMEOUT. */
  stage?: string;
  statusCode?: number;
  /** The first part of an error response body. */
  body?: string;
  /** `error.name`, e.g. 'AbortError' or 'TimeoutError'. */
  name?: string;
}

const maxCauseDepth = 5;

export function extractFaultFacts(error: unknown): FaultFacts {
  if (error instanceof BallastError) return factsOfBallastError(error);
  let current: unknown = error;
  for (let depth = 0; depth < maxCauseDepth && isObject(current); depth++) {
    if (current instanceof BallastError) return factsOfBallastError(current);
    const code = stringField(current, 'code');
    if (code) return { code, errno: code, name: stringField(current, 'name') };
    // Happy-eyeballs connects fail with an AggregateError of per-address errors.
    const nested = Array.isArray(current.errors) ? current.errors[0] : undefined;
    current = nested ?? current.cause;
  }
  return isObject(error) ? { name: stringField(error, 'name') } : {};
}

function factsOfBallastError(error: BallastError): FaultFacts {
  const { errno, stage, statusCode, bodySnippet } = error.details;
  return {
    code: error.code,
    errno: typeof errno === 'string' ? errno : undefined,
    stage: typeof stage === 'string' ? stage : undefined,
    statusCode: typeof statusCode === 'number' ? statusCode : undefined,
    body: typeof bodySnippet === 'string' ? bodySnippet : undefined,
    name: error.name,
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function stringField(value: Record<string, unknown>, key: string): string | undefined {
  const field = value[key];
  return typeof field === 'string' && field !== '' ? field : undefined;
}
