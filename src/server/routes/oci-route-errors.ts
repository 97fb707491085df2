import type { FastifyReply, FastifyRequest } from 'fastify';
import { isBallastError } from '../../errors/ballast-error.ts';
import type { EventBus } from '../../observability/events.ts';
import {
  type DistributionErrorCode,
  distributionErrorBody,
  distributionErrors,
} from '../../oci/distribution-errors.ts';
import { isNameComponent } from '../../oci/names.ts';
import { echo, reportStorageFull } from '../http-errors.ts';

/** What a `/v2/` route serves, for choosing the spec's error code of a failure. */
export type RouteKind =
  | 'base'
  | 'catalog'
  | 'tags'
  | 'manifest'
  | 'blob'
  | 'upload'
  | 'manifest-push';

export type NameParams = { repo: string; chart: string };

/** An error answered in the distribution spec's JSON, with its code and status. */
export class DistributionError extends Error {
  readonly code: DistributionErrorCode;
  readonly detail: unknown;
  readonly status: number;
  constructor(code: DistributionErrorCode, message?: string, detail?: unknown, status?: number) {
    super(message ?? distributionErrors[code].message);
    this.code = code;
    this.detail = detail;
    this.status = status ?? distributionErrors[code].status;
  }
}

/** The `{repo}/{chart}` of a route, checked against the spec's grammar before any use. */
export function checkName(params: NameParams): NameParams {
  for (const part of [params.repo, params.chart]) {
    if (!isNameComponent(part))
      throw new DistributionError(
        'NAME_INVALID',
        `invalid repository name component ${JSON.stringify(part)}`,
      );
  }
  return params;
}

/** Aborted when the client goes away before the answer is complete. */
export function abortOnClose(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

export function toDistributionError(
  error: unknown,
  kind: RouteKind,
  request: FastifyRequest,
  bus: EventBus,
): DistributionError {
  if (error instanceof DistributionError) return error;
  if (isBallastError(error)) {
    reportStorageFull(error, request, bus);
    const detail = { ballastCode: error.code };
    const code = distributionCodeFor(error.status, error.code, kind);
    if (error.status >= 500)
      request.log.warn({ err: error, url: echo(request.url) }, 'OCI request failed');
    return new DistributionError(code, error.message, detail, error.status);
  }
  const status = (error as { statusCode?: number }).statusCode;
  if (status !== undefined && status >= 400 && status < 500)
    return new DistributionError('UNSUPPORTED', echo((error as Error).message), undefined, status);
  request.log.error({ err: error, url: echo(request.url) }, 'unexpected error');
  return new DistributionError('UNKNOWN', 'internal error; see the server log');
}

/** Ballast codes of the push side that have a code of their own in the spec. */
const pushCodes: Readonly<Record<string, DistributionErrorCode>> = {
  BALLAST_REPO_NOT_HOSTED: 'UNSUPPORTED',
  BALLAST_CHART_EXISTS: 'DENIED',
  BALLAST_PUSH_NOT_ALLOWED: 'DENIED',
  BALLAST_UPLOAD_UNKNOWN: 'BLOB_UPLOAD_UNKNOWN',
  BALLAST_UPLOAD_RANGE_INVALID: 'BLOB_UPLOAD_INVALID',
  BALLAST_UPLOAD_TOO_LARGE: 'SIZE_INVALID',
  BALLAST_UPLOAD_DIGEST_MISMATCH: 'DIGEST_INVALID',
  BALLAST_MANIFEST_INVALID: 'MANIFEST_INVALID',
  BALLAST_MANIFEST_BLOB_UNKNOWN: 'MANIFEST_BLOB_UNKNOWN',
};

function distributionCodeFor(
  status: number,
  ballastCode: string,
  kind: RouteKind,
): DistributionErrorCode {
  const pushCode = pushCodes[ballastCode];
  if (pushCode) return pushCode;
  if (status === 404) {
    if (ballastCode === 'BALLAST_REPO_NOT_FOUND' || kind === 'tags') return 'NAME_UNKNOWN';
    if (kind === 'blob' || ballastCode === 'BALLAST_BLOB_NOT_FOUND') return 'BLOB_UNKNOWN';
    return kind === 'manifest' || kind === 'manifest-push' ? 'MANIFEST_UNKNOWN' : 'NAME_UNKNOWN';
  }
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'DENIED';
  if (status === 429) return 'TOOMANYREQUESTS';
  // A chart the hosted repo refuses (invalid, or a version it will not overwrite).
  if (kind === 'manifest-push' && status >= 400 && status < 500) return 'MANIFEST_INVALID';
  if (kind === 'upload' && status >= 400 && status < 500) return 'BLOB_UPLOAD_INVALID';
  if (status >= 400 && status < 500) return kind === 'blob' ? 'DIGEST_INVALID' : 'NAME_INVALID';
  return status === 500 ? 'UNKNOWN' : 'UNAVAILABLE';
}

export function sendError(reply: FastifyReply, error: DistributionError) {
  reply.code(error.status).header('content-type', 'application/json; charset=utf-8');
  if (reply.request.method === 'HEAD') return reply.send();
  return reply.send(distributionErrorBody(error.code, error.message, error.detail));
}
