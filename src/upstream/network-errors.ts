import { BallastError } from '../errors/ballast-error.ts';

const timeoutStages: Record<string, 'connect' | 'headers' | 'body'> = {
  UND_ERR_CONNECT_TIMEOUT: 'connect',
  UND_ERR_HEADERS_TIMEOUT: 'headers',
  UND_ERR_BODY_TIMEOUT: 'body',
};

/**
 * Socket, DNS and undici errors become Ballast errors where they enter: a timeout names its
 * stage; everything else keeps the system's code (`ENOTFOUND`, `ECONNRESET`…) in `errno`
 * so the fault taxonomy can classify it. Aborts (the client went away) pass through.
 */
export function translateNetworkError(
  error: unknown,
  source: string,
  timeouts: { connect: number; headers: number; body: number },
): unknown {
  if (error instanceof BallastError) return error;
  if (error instanceof Error && error.name === 'AbortError') return error;
  const code = (error as { code?: string }).code ?? 'UNKNOWN';
  const stage = timeoutStages[code];
  if (stage)
    return new BallastError(
      'BALLAST_UPSTREAM_TIMEOUT',
      { source, stage, ms: timeouts[stage] },
      { cause: error },
    );
  const reason = describe(code, error);
  return new BallastError(
    'BALLAST_UPSTREAM_UNREACHABLE',
    { source, errno: code, reason },
    { cause: error },
  );
}

function describe(code: string, error: unknown): string {
  switch (code) {
    case 'ENOTFOUND':
      return 'the host name does not resolve (NXDOMAIN)';
    case 'EAI_AGAIN':
      return 'DNS lookup failed temporarily (EAI_AGAIN)';
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection reset';
    default:
      return `${code}: ${error instanceof Error ? error.message : String(error)}`;
  }
}
