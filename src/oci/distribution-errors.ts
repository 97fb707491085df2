/**
 * Error codes of the OCI distribution spec with the HTTP status each is answered with.
 * TAG_INVALID, PAGINATION_NUMBER_INVALID, UNKNOWN and UNAVAILABLE are not in the spec's
 * table but are what the reference registry answers, and clients show their message.
 */
export const distributionErrors = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest is invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_BLOB_UNKNOWN: {
    status: 400,
    message: 'manifest references a manifest or blob unknown to registry',
  },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  TAG_INVALID: { status: 400, message: 'invalid tag' },
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
  UNKNOWN: { status: 500, message: 'unknown error' },
  UNAVAILABLE: { status: 503, message: 'service unavailable' },
} as const satisfies Record<string, { status: number; message: string }>;

export type DistributionErrorCode = keyof typeof distributionErrors;

export interface DistributionErrorBody {
  errors: { code: DistributionErrorCode; message: string; detail?: unknown }[];
}

/** The spec's error document: `{"errors":[{"code":…,"message":…,"detail":…}]}`. */
export function distributionErrorBody(
  code: DistributionErrorCode,
  message: string = distributionErrors[code].message,
  detail?: unknown,
): DistributionErrorBody {
  return { errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] };
}

/** The first error of an error document a registry sent, if the body is one. */
export function readDistributionError(body: string): { code: string; message: string } | undefined {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    const first = parsed.errors?.[0];
    if (first && typeof first.code === 'string')
      return { code: first.code, message: typeof first.message === 'string' ? first.message : '' };
  } catch {
    // Not the spec's error document; the status says enough.
  }
  return undefined;
}
