import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { BallastError, isBallastError } from '../errors/ballast-error.ts';
import type { EventBus } from '../observability/events.ts';
import { type DistributionErrorCode, distributionErrorBody } from '../oci/distribution-errors.ts';

/** The longest piece of a client's input an error message quotes. */
const maxEcho = 120;

/** Error bodies never quote more than a short prefix of what the client sent. */
export function echo(text: string): string {
  return text.length > maxEcho ? `${text.slice(0, maxEcho)}… (${text.length} characters)` : text;
}

/**
 * Ballast's error body, or on the OCI face (`/v2/`) the distribution spec's, carrying the
 * Ballast code in `detail.ballastCode`, as the routes there answer.
 */
export function sendBallastError(
  reply: FastifyReply,
  error: BallastError,
  status = error.status,
): FastifyReply {
  reply.code(status).header('content-type', 'application/json; charset=utf-8');
  if (reply.request.url.startsWith('/v2/')) {
    const code: DistributionErrorCode = error.status >= 500 ? 'UNKNOWN' : 'NAME_INVALID';
    return reply.send(distributionErrorBody(code, error.message, { ballastCode: error.code }));
  }
  return reply.send({ error: { code: error.code, message: error.message } });
}

/**
 * True when the client hung up before its answer was complete: nothing can reach it, and
 * that is the client's choice, not a fault of Ballast.
 */
export function clientHasGone(request: FastifyRequest): boolean {
  return request.raw.socket?.destroyed === true;
}

/**
 * Errors raised before a route runs, by Fastify's router: a path that is not valid
 * percent-encoding, a path segment past `maxParamLength`. Answered in Ballast's shape, without
 * quoting the (possibly 10 KB) path back.
 */
export function frameworkErrorHandler(maxParamLength: number) {
  return (error: FastifyError, _request: FastifyRequest, reply: FastifyReply) => {
    const known =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new BallastError('BALLAST_URL_TOO_LONG', { limit: maxParamLength })
        : new BallastError('BALLAST_BAD_REQUEST', {
            reason:
              error.code === 'FST_ERR_BAD_URL'
                ? 'the path is not valid percent-encoding'
                : echo(error.message),
          });
    sendBallastError(reply, known);
  };
}

const clientErrors: Record<string, BallastError> = {
  ERR_HTTP_REQUEST_TIMEOUT: new BallastError('BALLAST_REQUEST_TIMEOUT'),
  HPE_HEADER_OVERFLOW: new BallastError('BALLAST_HEADERS_TOO_LARGE'),
};

/**
 * Errors of the HTTP parser, before Fastify sees a request: headers too large or too slow,
 * bytes that are not HTTP. Answered in Ballast's shape; the connection is closed.
 */
export function clientErrorHandler(bus: EventBus) {
  return (error: NodeJS.ErrnoException, socket: Socket) => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const known =
      clientErrors[error.code ?? ''] ??
      new BallastError('BALLAST_BAD_REQUEST', { reason: 'not an HTTP/1.1 request' });
    bus.emit('http:client-error', { code: known.code });
    const body = JSON.stringify({ error: { code: known.code, message: known.message } });
    if (socket.writable)
      socket.write(
        `HTTP/1.1 ${known.status} ${STATUS_CODES[known.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    socket.destroy();
  };
}

/** The error handler of the Ballast face (the OCI face has its own, in its scope). */
export function registerErrorHandler(app: FastifyInstance, bus: EventBus): void {
  app.setErrorHandler(async (error, request, reply) => {
    if (isBallastError(error)) {
      reportStorageFull(error, request, bus);
      return sendBallastError(reply, error);
    }
    if (clientHasGone(request)) return reportClientGone(request, reply, bus);
    const status = (error as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      const known = new BallastError('BALLAST_BAD_REQUEST', {
        reason: echo((error as Error).message),
      });
      return sendBallastError(reply, known, status);
    }
    request.log.error({ err: error, url: echo(request.url) }, 'unexpected error');
    return sendBallastError(reply, new BallastError('BALLAST_INTERNAL'));
  });
}

/** A full disk is the operator's to fix: an error line naming the file, and a metric. */
export function reportStorageFull(error: BallastError, request: FastifyRequest, bus: EventBus) {
  if (error.code !== 'BALLAST_STORAGE_FULL') return;
  bus.emit('store:full', {
    path: String(error.details.path),
    reason: String(error.details.reason),
  });
  request.log.error({ path: error.details.path, url: echo(request.url) }, error.message);
}

export function reportClientGone(
  request: FastifyRequest,
  reply: FastifyReply,
  bus: EventBus,
): FastifyReply {
  const route = request.routeOptions.url ?? 'unmatched';
  bus.emit('http:client-gone', { route });
  request.log.debug({ url: echo(request.url), route }, 'client went away before the answer');
  // 499, as nginx logs it: counted in ballast_http_requests_total; no byte reaches anyone.
  return reply.code(499).send();
}
