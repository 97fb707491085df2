import { z } from 'zod';
import { configDefaults as d } from './defaults.ts';
import { repo } from './repo-schema.ts';
import * as v from './schema-values.ts';
import { secretRefSchema } from './secret-ref.ts';
import { upstreamAuthSchema } from './upstream-auth.ts';

const auth = z
  .strictObject({
    /** bcrypt users for HTTP Basic, as `htpasswd -B` writes them; read at start. */
    htpasswd: z.string().min(1).optional(),
    /** Bearer tokens, stored as the sha256 hex of the token (`ballast auth hash-token`). */
    tokens: z
      .array(
        z.strictObject({
          name: v.principalName,
          sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
        }),
      )
      .default([])
      .superRefine((tokens, ctx) => {
        const seen = new Set<string>();
        tokens.forEach((t, i) => {
          if (seen.has(t.name))
            ctx.addIssue({
              code: 'custom',
              path: [i, 'name'],
              message: `duplicate token name "${t.name}"`,
            });
          seen.add(t.name);
        });
      }),
    /** Signs registry tokens; give every replica the same key so each accepts the others' tokens. */
    tokenKey: secretRefSchema.optional(),
    tokenTtl: v.duration.prefault(d.auth.tokenTtl),
    /** Failed logins slow the next ones from the same address: delay doubles, up to maxDelay. */
    throttle: z
      .strictObject({
        delay: v.duration.prefault(d.auth.throttle.delay),
        maxDelay: v.duration.prefault(d.auth.throttle.maxDelay),
      })
      .prefault({}),
    /** The token endpoint's public URL, when a proxy in front changes scheme or host. */
    realm: v.httpUrl.optional(),
  })
  .prefault({});

const dnsServer = z
  .string()
  .regex(
    /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]+)(:\d{1,5})?$/,
    'expected an IP address, optionally with :port',
  );

const resolver = z
  .strictObject({
    servers: z.array(dnsServer).optional(),
    staleFor: v.duration.prefault(d.resolver.staleFor),
    timeout: v.positiveDuration.prefault(d.resolver.timeout),
    hosts: z.record(z.string().min(1), z.array(z.ipv4().or(z.ipv6())).min(1)).default({}),
  })
  .prefault({});

const resilience = z
  .strictObject({
    deadline: v.positiveDuration.prefault(d.resilience.deadline),
    retry: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(100).default(d.resilience.retry.maxAttempts),
        baseDelay: v.duration.prefault(d.resilience.retry.baseDelay),
        maxDelay: v.duration.prefault(d.resilience.retry.maxDelay),
        retryAfterCap: v.duration.prefault(d.resilience.retry.retryAfterCap),
      })
      .prefault({}),
    breaker: z
      .strictObject({
        failureThreshold: z.number().int().min(1).default(d.resilience.breaker.failureThreshold),
        coolDown: v.duration.prefault(d.resilience.breaker.coolDown),
      })
      .prefault({}),
    hedge: z
      .strictObject({
        enabled: z.boolean().default(d.resilience.hedge.enabled),
        floor: v.duration.prefault(d.resilience.hedge.floor),
        ceiling: v.duration.prefault(d.resilience.hedge.ceiling),
      })
      .prefault({}),
  })
  .prefault({});

// --- files[]: mirrors of release binaries and other downloads ---

const compilableRegex = z.string().refine(
  (value) => {
    try {
      new RegExp(value);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a JavaScript regular expression' },
);

/** `- https://host/path` is shorthand for `- url: https://host/path`. */
const fileUpstream = z.preprocess(
  (value) => (typeof value === 'string' ? { url: value } : value),
  z.strictObject({
    url: v.httpUrl.refine(v.withoutUserInfo, v.userInfoMessage),
    /** Maps the requested path to this upstream's layout: `path.replace(RegExp(match), to)`. */
    rewrite: z.strictObject({ match: compilableRegex, to: z.string() }).optional(),
    /** Hosts other than the upstream's own that its redirects may lead to. */
    redirectHosts: v.hostPatterns,
    /** Credentials, sent to the upstream's own origin only. */
    auth: upstreamAuthSchema.optional(),
  }),
);

const fileMirror = z.strictObject({
  name: z
    .string()
    .regex(
      /^[a-z0-9][a-z0-9._-]{0,62}$/,
      'expected lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
    ),
  upstreams: z.array(fileUpstream).min(1, 'a file mirror needs at least one upstream'),
  checksum: z.enum(['sidecar', 'none']).default(d.file.checksum),
  /** Paths (globs) that change in place upstream: served with the index freshness rules. */
  mutable: z.array(z.string().min(1)).default([]),
  refresh: v.duration.prefault(d.file.refresh),
  maxSize: v.size.prefault(d.file.maxSize),
  deadline: v.positiveDuration.prefault(d.file.deadline),
  /** A path every upstream should have (e.g. a checksum file): probes send HEAD for it. */
  probe: z
    .string()
    .regex(/^[^/].*$/, 'expected a path relative to the upstream URL')
    .optional(),
});

const files = z
  .array(fileMirror)
  .default([])
  .superRefine((mirrors, ctx) => {
    const seen = new Set<string>();
    mirrors.forEach((m, i) => {
      if (seen.has(m.name)) {
        ctx.addIssue({
          code: 'custom',
          path: [i, 'name'],
          message: `duplicate file mirror name "${m.name}"`,
        });
      }
      seen.add(m.name);
    });
  });

/** The bucket is the store: set, it replaces storage.fs (no local data directory). */
const s3Storage = z.strictObject({
  bucket: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (3 to 63 characters)'),
  prefix: z
    .string()
    .regex(
      /^([a-zA-Z0-9_-][a-zA-Z0-9._-]*\/)*$/,
      'expected folder names each ending in "/", e.g. prod/',
    )
    .default(d.storage.s3.prefix),
  endpoint: z
    .string()
    .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
      message: 'expected an http:// or https:// URL',
    })
    .optional(),
  /** Without it, the AWS SDK's chain (AWS_REGION, the profile) decides. */
  region: z.string().min(1).optional(),
  forcePathStyle: z.boolean().default(d.storage.s3.forcePathStyle),
  cache: z
    .strictObject({
      dir: z.string().min(1).optional(),
      maxSize: v.size.prefault(d.storage.s3.cache.maxSize),
    })
    .prefault({}),
});

const probes = z
  .strictObject({
    enabled: z.boolean().default(d.probes.enabled),
    interval: v.duration
      .prefault(d.probes.interval)
      .refine((ms) => ms >= 1000, 'expected at least 1s'),
    timeout: v.duration.prefault(d.probes.timeout),
  })
  .prefault({});

const webhook = z.strictObject({
  url: v.httpUrl,
  format: z.enum(['json', 'slack']).default(d.webhook.format),
  /** Header values are written inline (not secret) or as a secret reference. */
  headers: z.record(z.string().min(1), z.union([z.string(), secretRefSchema])).default({}),
});

const alerts = z
  .strictObject({
    webhooks: z.array(webhook).default([]),
    repeat: v.duration.prefault(d.alerts.repeat),
    certExpiry: v.duration.prefault(d.alerts.certExpiry),
    staleFor: v.duration.prefault(d.alerts.staleFor),
  })
  .prefault({});

export const configSchema = z.strictObject({
  listen: v.listen.default(d.listen),
  server: z
    .strictObject({
      maxConnections: z.number().int().min(1).default(d.server.maxConnections),
      headersTimeout: v.positiveDuration.prefault(d.server.headersTimeout),
    })
    .prefault({}),
  storage: z
    .strictObject({
      fs: z.strictObject({ path: z.string().min(1).default(d.storage.fs.path) }).prefault({}),
      s3: s3Storage.optional(),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default(d.log.level),
      format: z.enum(['auto', 'pretty', 'json']).default(d.log.format),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      connect: v.positiveDuration.prefault(d.timeouts.connect),
      headers: v.positiveDuration.prefault(d.timeouts.headers),
      body: v.positiveDuration.prefault(d.timeouts.body),
    })
    .prefault({}),
  limits: z
    .strictObject({
      indexSize: v.size.prefault(d.limits.indexSize),
      chartSize: v.size.prefault(d.limits.chartSize),
      provSize: v.size.prefault(d.limits.provSize),
    })
    .prefault({}),
  maxRedirects: z.number().int().min(0).max(20).default(d.maxRedirects),
  resolver,
  resilience,
  repos: z
    .array(repo)
    .default([])
    .superRefine((repos, ctx) => {
      const seen = new Set<string>();
      repos.forEach((r, i) => {
        if (seen.has(r.name)) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'name'],
            message: `duplicate repository name "${r.name}"`,
          });
        }
        seen.add(r.name);
        if (r.charts.length === 0 && r.upstreams.some((u) => u.url.startsWith('oci:'))) {
          ctx.addIssue({
            code: 'custom',
            path: [i, 'charts'],
            message: 'an oci:// upstream cannot list its charts: name the charts to mirror',
          });
        }
      });
    }),
  files,
  probes,
  alerts,
  auth,
});

export type Config = z.output<typeof configSchema>;
export type FileMirrorConfig = Config['files'][number];
export type FileUpstreamConfig = FileMirrorConfig['upstreams'][number];
export type RepoConfig = Config['repos'][number];
export type AuthConfig = Config['auth'];
export type UpstreamConfig = RepoConfig['upstreams'][number];
export type WebhookConfig = Config['alerts']['webhooks'][number];
