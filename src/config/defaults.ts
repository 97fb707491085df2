/**
 * The one place where defaults live. Every key of the config has one; the schema fills
 * them in, and docs/configuration.md documents them (a test keeps the two in step).
 */
export const configDefaults = {
  listen: '0.0.0.0:8080',
  storage: { fs: { path: './data' } },
  log: { level: 'info' },
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
    merge: false,
    refresh: '5m',
    guard: { maxShrink: '10%', keepRemoved: false },
    access: { read: 'anonymous', write: [] as string[] },
  },
  auth: { tokenTtl: '5m', throttle: { delay: '200ms', maxDelay: '10s' } },
  // files[]: documented under `files[]` in docs/configuration.md
  file: { checksum: 'sidecar', refresh: '5m', maxSize: '4GiB', deadline: '30m' },
} as const;
