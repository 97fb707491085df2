/**
 * Every error code Ballast reports, with its HTTP status and a message template.
 * `{name}` placeholders are filled from the error's details. Each code is documented
 * in docs/errors.md (a test checks that).
 */
export const errorCatalogue = {
  BALLAST_CONFIG_INVALID: {
    status: 500,
    message: 'config: {key}: {problem}',
  },
  BALLAST_USAGE: {
    status: 400,
    message: '{problem}',
  },
  BALLAST_CONFIG_MISSING: {
    status: 500,
    message:
      'no config file: pass --config FILE or set BALLAST_CONFIG; without one, ballast {command} would run with no repositories and no file mirrors',
  },
  BALLAST_CONFIG_UNREADABLE: {
    status: 500,
    message: 'config: cannot read {file}: {reason}',
  },
  BALLAST_BAD_PATH: {
    status: 400,
    message: 'invalid path segment {segment}: {reason}',
  },
  BALLAST_REPO_NOT_FOUND: {
    status: 404,
    message: 'no repository named {repo}',
  },
  BALLAST_VIEW_INVALID: {
    status: 400,
    message: 'invalid index view: {reason}',
  },
  BALLAST_VIEW_NOT_FOUND: {
    status: 404,
    message: 'repository {repo} has no view named {view}',
  },
  BALLAST_CHART_NOT_FOUND: {
    status: 404,
    message: 'repository {repo} has no chart file {file}',
  },
  BALLAST_INDEX_UNAVAILABLE: {
    status: 503,
    message: 'repository {repo} has no index yet and its upstream failed: {reason}',
  },
  BALLAST_INDEX_INVALID: {
    status: 502,
    message: 'index from {source} is invalid: {reason}',
  },
  BALLAST_INDEX_REFUSED: {
    status: 502,
    message: 'index from {source} refused by the guard: {reason}',
  },
  BALLAST_BODY_TOO_LARGE: {
    status: 502,
    message: '{what} from {source} exceeds the limit of {limit} bytes',
  },
  BALLAST_DIGEST_MISMATCH: {
    status: 502,
    // Nothing derived from the refused bytes (not even their hash) is quoted: they may be
    // whatever an internal address answered.
    message: '{what} from {source} does not match its digest {expected}; nothing was stored',
  },
  BALLAST_CHART_HOST_NOT_ALLOWED: {
    status: 502,
    message: 'chart URL {url} is not allowed for upstream {upstream}: {reason}',
  },
  BALLAST_UPSTREAM_STATUS: {
    status: 502,
    message: '{source} answered HTTP {statusCode}',
  },
  BALLAST_UPSTREAM_UNREACHABLE: {
    status: 502,
    message: 'cannot reach {source}: {reason}',
  },
  BALLAST_UPSTREAM_TIMEOUT: {
    status: 504,
    message: '{source} did not answer in time ({stage} timeout after {ms} ms)',
  },
  BALLAST_TOO_MANY_REDIRECTS: {
    status: 502,
    message: 'following redirects from {source} stopped: {reason}',
  },
  BALLAST_REDIRECT_HOST_NOT_ALLOWED: {
    status: 502,
    message:
      'redirect from {from} to {to} refused: not allowed for this upstream (allowed: {allowed}); nothing was requested there',
  },
  BALLAST_BLOB_NOT_FOUND: {
    status: 404,
    message: 'blob {digest} is not in the store',
  },
  BALLAST_STORE_KEY_INVALID: {
    status: 400,
    message: 'invalid store key {key}: {reason}',
  },
  BALLAST_STORE_CONFLICT: {
    status: 409,
    message: 'store document {key} was not written: {reason}',
  },
  BALLAST_STORE_UNAVAILABLE: {
    status: 503,
    message: 'the store did not answer {operation} {key}: {reason}',
  },
  BALLAST_STORE_FAILED: {
    status: 500,
    message: 'the store refused {operation} {key}: {reason}',
  },
  BALLAST_BAD_REQUEST: {
    status: 400,
    message: 'the request is malformed: {reason}',
  },
  BALLAST_URL_TOO_LONG: {
    status: 414,
    message: 'a segment of the path is longer than {limit} characters',
  },
  BALLAST_HEADERS_TOO_LARGE: {
    status: 431,
    message: 'the request headers are larger than the server accepts',
  },
  BALLAST_REQUEST_TIMEOUT: {
    status: 408,
    message: 'the request headers did not arrive in time (server.headersTimeout)',
  },
  BALLAST_NOT_FOUND: {
    status: 404,
    message: 'no route for this method and path',
  },
  BALLAST_LISTEN_FAILED: {
    status: 500,
    message: 'listen: cannot listen on {address}: {reason}',
  },
  BALLAST_STORAGE_UNUSABLE: {
    status: 500,
    message: 'storage.fs.path: cannot use {path} as the store: {reason}',
  },
  BALLAST_STORAGE_FULL: {
    status: 507,
    message: 'the store is full: writing {path} failed: {reason}; nothing was stored',
  },
  BALLAST_INTERNAL: {
    status: 500,
    message: 'internal error; see the server log',
  },

  // --- OCI: upstreams, index from OCI, the /v2/ face ---
  BALLAST_OCI_REFERENCE_INVALID: {
    status: 400,
    message: 'invalid OCI {kind} {value}: {reason}',
  },
  BALLAST_OCI_RESPONSE_INVALID: {
    status: 502,
    message: '{what} from {source} is not valid: {reason}',
  },
  BALLAST_OCI_MANIFEST_INVALID: {
    status: 502,
    message: 'manifest {reference} from {source} is not a Helm chart manifest: {reason}',
  },
  BALLAST_OCI_CONFIG_INVALID: {
    status: 502,
    message: 'config blob {digest} from {source} is not chart metadata: {reason}',
  },
  BALLAST_OCI_CHART_INVALID: {
    status: 502,
    message: 'chart archive {what} is not a chart Ballast can serve over OCI: {reason}',
  },
  BALLAST_OCI_AUTH_FAILED: {
    status: 502,
    message: 'cannot authenticate to {source}: {reason}',
  },

  // --- Uploads to hosted repositories ---
  BALLAST_CHART_INVALID: {
    status: 400,
    message: 'chart refused, nothing was stored: {reason}',
  },
  BALLAST_UPLOAD_TOO_LARGE: {
    status: 413,
    message: 'the upload is larger than {limit} bytes (maxUploadSize); nothing was stored',
  },

  // --- Authentication and authorisation of clients ---
  BALLAST_AUTH_REQUIRED: {
    status: 401,
    message:
      'repository {repo} needs credentials: HTTP Basic (helm repo add --username --password) or Authorization: Bearer with a token',
  },
  BALLAST_AUTH_INVALID: {
    status: 401,
    message: 'the {scheme} credentials are not valid: {reason}',
  },
  BALLAST_AUTH_DENIED: {
    status: 403,
    message: '{who} may not {action} repository {repo}',
  },
  BALLAST_AUTH_THROTTLED: {
    status: 429,
    message: 'too many failed logins from this address; try again in a few seconds',
  },
  BALLAST_AUTH_SCOPE_INVALID: {
    status: 400,
    message: 'token request: {reason}',
  },
  // OCI push into hosted repositories
  BALLAST_PUSH_NOT_ALLOWED: {
    status: 403,
    message: 'repository {repo} takes no pushes: {reason}',
  },
  BALLAST_UPLOAD_UNKNOWN: {
    status: 404,
    message: 'no upload {id} in progress for {name}: it finished, was cancelled or expired',
  },
  BALLAST_UPLOAD_RANGE_INVALID: {
    status: 416,
    message: 'upload {id}: {reason}',
  },
  BALLAST_UPLOAD_DIGEST_MISMATCH: {
    status: 400,
    message: 'the uploaded bytes do not have digest {expected}; nothing was stored',
  },
  BALLAST_MANIFEST_INVALID: {
    status: 400,
    message: 'the manifest for {name} is not accepted: {reason}',
  },
  BALLAST_MANIFEST_BLOB_UNKNOWN: {
    status: 400,
    message:
      'the manifest for {name} names blob {digest}, which was never uploaded (or has another size)',
  },
  // ballast doctor
  BALLAST_DOCTOR_USAGE: {
    status: 400,
    message: '{problem}',
  },
  BALLAST_DOCTOR_INPUT_UNREADABLE: {
    status: 400,
    message: 'cannot read {file}: {reason}',
  },
  BALLAST_DOCTOR_INPUT_TOO_LARGE: {
    status: 413,
    message:
      '{file} is larger than {limit} bytes; a Kubernetes ConfigMap holds at most 1 MiB, so this is not a Corefile or resolv.conf',
  },
  BALLAST_DOCTOR_INPUT_NOT_TEXT: {
    status: 400,
    message: '{file} is not text ({reason}); give a Corefile, ConfigMap YAML or resolv.conf',
  },
  BALLAST_DOCTOR_COREFILE_SYNTAX: {
    status: 400,
    message: '{file}:{line}:{column}: {problem}',
  },
  BALLAST_DOCTOR_CONFIGMAP_INVALID: {
    status: 400,
    message: '{file}: {problem}',
  },
  BALLAST_DOCTOR_INDEX_FETCH_FAILED: {
    status: 502,
    message: 'cannot fetch {url}: {reason}',
  },
  BALLAST_DOCTOR_INDEX_TOO_LARGE: {
    status: 413,
    message: '{file} is larger than {limit} bytes, the most Ballast reads of an index',
  },

  // --- File mirrors, sync and air-gap bundles ---
  BALLAST_FILE_MIRROR_NOT_FOUND: {
    status: 404,
    message: 'no file mirror named {mirror}',
  },
  BALLAST_FILE_NOT_FOUND: {
    status: 404,
    message: 'file mirror {mirror} has no file {path}: {reason}',
  },
  BALLAST_FILE_CHECKSUM_MISSING: {
    status: 502,
    message:
      'no upstream of file mirror {mirror} serves a checksum for {path} (tried {tried}); set checksum: none to store files unverified',
  },
  BALLAST_FILE_CHECKSUM_INVALID: {
    status: 502,
    message: 'checksum file {file} from {source} is malformed: {reason}',
  },
  BALLAST_SYNC_SELECTOR_INVALID: {
    status: 400,
    message: 'sync: {selector}: {reason}',
  },
  BALLAST_BUNDLE_INVALID: {
    status: 400,
    message: 'bundle {bundle} refused: {reason}; nothing was imported',
  },
  BALLAST_BUNDLE_ENTRY_INVALID: {
    status: 400,
    message: 'bundle {bundle} refused: entry {entry}: {reason}; nothing was imported',
  },
  BALLAST_EXPORT_FAILED: {
    status: 500,
    message: 'export: {reason}',
  },
  BALLAST_STORE_GC_REFUSED: {
    status: 500,
    message: 'store gc: refused, nothing removed: {reason}',
  },
  // hosted repositories (src/hosted, the ChartMuseum API)
  BALLAST_REPO_NOT_HOSTED: {
    status: 405,
    message:
      'repository {repo} is a mirror of its upstreams: charts are uploaded to hosted repositories only (repos[].hosted: true)',
  },
  BALLAST_CHART_EXISTS: {
    status: 409,
    message: 'repository {repo} has {name} {version} already: {hint}',
  },
  BALLAST_HOSTED_VERSION_NOT_FOUND: {
    status: 404,
    message: 'repository {repo} has no chart {name} version {version}',
  },
  BALLAST_HOSTED_CHART_NOT_FOUND: {
    status: 404,
    message: 'repository {repo} has no chart {name}',
  },
  BALLAST_UPLOAD_INVALID: {
    status: 400,
    message: 'the upload is malformed: {reason}',
  },
  BALLAST_PROVENANCE_INVALID: {
    status: 400,
    message: 'provenance file refused: {reason}',
  },
  BALLAST_HOSTED_BUSY: {
    status: 503,
    message:
      'repository {repo}: the catalogue kept changing under this write ({attempts} attempts); nothing was changed, try again',
  },
  BALLAST_HOSTED_CATALOGUE_INVALID: {
    status: 500,
    message: 'repository {repo}: the stored catalogue cannot be read: {reason}',
  },
  BALLAST_AUTH_WRITE_OFF: {
    status: 403,
    message: 'nobody may write to repository {repo}: {reason}',
  },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof errorCatalogue;
