/**
 * The one place where defaults live. Every key of the config has one; the schema fills
 * them in, and docs/configuration.md documents them (a test keeps the two in step).
 */
export const configDefaults = {
  listen: '0.0.0.0:8080',
  server: { maxConnections: 1024, headersTimeout: '10s' },
  storage: {
    fs: { path: './data' },
    // storage.s3 is off unless given; these fill in what it leaves out.
    s3: { prefix: '', forcePathStyle: false, cache: { maxSize: '1GiB' } },
  },
  log: { level: 'info', format: 'auto' },
  timeouts: { connect: '5s', headers: '15s', body: '60s' },
  limits: { indexSize: '64MiB', chartSize: '64MiB', provSize: '1MiB' },
  maxRedirects: 5,
  resolver: { staleFor: '24h', timeout: '2s' },
  resilience: {
    deadline: '30s',
    retry: { maxAttempts: 8, baseDelay: '200ms', maxDelay: '2s', retryAfterCap: '10s' },
    breaker: { failureThreshold: 5, coolDown: '30s' },
    hedge: { enabled: true, floor: '100ms', ceiling: '1s' },
  },
  repo: {
    hosted: false,
    overwrite: 'never',
    maxUploadSize: '20MiB',
    merge: false,
    refresh: '5m',
    unverified: 'pin',
    guard: { maxShrink: '10%', keepRemoved: false },
    access: { read: 'anonymous', write: [] as string[] },
  },
  auth: { tokenTtl: '5m', throttle: { delay: '200ms', maxDelay: '10s' } },
  // files[]: documented under `files[]` in docs/configuration.md
  file: { checksum: 'sidecar', refresh: '5m', maxSize: '4GiB', deadline: '30m' },
  probes: { enabled: true, interval: '1m', timeout: '10s' },
  alerts: { repeat: '4h', certExpiry: '14d', staleFor: '1h' },
  // alerts.webhooks[]: documented under `alerts.webhooks[]` in docs/configuration.md
  webhook: { format: 'json' },
} as const;
