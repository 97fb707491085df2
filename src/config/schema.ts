import semver from 'semver';
import { z } from 'zod';
import { parseOciUpstreamUrl } from '../oci/oci-reference.ts';
import { configDefaults as d } from './defaults.ts';
import { secretRefSchema } from './secret-ref.ts';
import { parseDuration, parseRatio, parseSize } from './units.ts';
import { upstreamAuthSchema } from './upstream-auth.ts';

function human(parse: (v: string | number) => number | undefined, expected: string) {
  return z.union([z.string(), z.number()]).transform((value, ctx) => {
    const parsed = parse(value);
    if (parsed === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `expected ${expected}, got ${JSON.stringify(value)}`,
      });
      return z.NEVER;
    }
    return parsed;
  });
}

const duration = human(parseDuration, 'a duration such as 30s, 5m or 24h');
/** A wait that must end: 0 would fail every request at once (or, for some clients, never). */
const positiveDuration = duration.refine((ms) => ms > 0, 'expected a duration greater than 0');
const size = human(parseSize, 'a size such as 512KiB or 64MiB');
const ratio = human(parseRatio, 'a percentage such as 10% or a fraction between 0 and 1');

const listen = z
  .string()
  .regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port')
  .refine(
    (value) => Number(value.slice(value.lastIndexOf(':') + 1)) <= 65535,
    'expected a port from 0 to 65535',
  );

const repoName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    'expected lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  )
  .refine((name) => !['v2', 'api', 'files', 'metrics'].includes(name), 'is a reserved path');

/** Credentials in a URL would sit in plain text in the config and in every log line. */
const withoutUserInfo = (value: string) => {
  if (!URL.canParse(value)) return true; // reported by the URL check itself
  const url = new URL(value);
  return url.username === '' && url.password === '';
};
const userInfoMessage =
  'credentials in the URL are not used: give them as auth: { username, password: { env: NAME } } or auth: { token: { file: PATH } }';

const upstreamUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^(https?|oci):$/.test(new URL(value).protocol), {
    message: 'expected an http://, https:// (classic repository) or oci:// (registry) URL',
  })
  .refine(withoutUserInfo, userInfoMessage)
  .superRefine((value, ctx) => {
    // What serve would refuse at start: a registry or namespace outside the OCI grammar.
    if (!value.startsWith('oci:')) return;
    try {
      parseOciUpstreamUrl(value);
    } catch (error) {
      ctx.addIssue({
        code: 'custom',
        message: `expected oci://registry/namespace: ${(error as Error).message}`,
      });
    }
  });

/** Host patterns (`charts.example.com`, `*.example.com`) an upstream's requests may also go to. */
const hostPatterns = z
  .array(
    z
      .string()
      .regex(/^(\*\.)?([A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])$/, 'expected a host name or *.domain'),
  )
  .default([]);

const upstream = z
  .strictObject({
    url: upstreamUrl,
    /** Hosts other than the upstream's own that its chart URLs and redirects may lead to. */
    chartHosts: hostPatterns,
    /** oci:// only: the registry speaks plain HTTP (e.g. a registry on loopback). */
    plainHttp: z.boolean().default(false),
    /** Credentials, sent to the upstream's own origin only (oci://: to its token realm too). */
    auth: upstreamAuthSchema.optional(),
    /** The inline form of earlier versions, refused with a pointer to its replacement. */
    credentials: z
      .never({
        error:
          'replaced by auth: { username, password: { env: NAME } }: secrets are references, not inline',
      })
      .optional(),
  })
  .superRefine((value, ctx) => {
    if (value.auth && 'token' in value.auth && value.url.startsWith('oci:'))
      ctx.addIssue({
        code: 'custom',
        path: ['auth', 'token'],
        message:
          'an oci:// upstream takes { username, password }: give a registry access token as the password',
      });
  });

/** A named view of a repository's index: `/{repo}/{view}/index.yaml`. */
const view = z.strictObject({
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'expected lowercase letters, digits, ".", "_" or "-"')
    .refine((name) => name !== 'charts', 'is a reserved path'),
  charts: z.array(z.string().min(1).max(250)).min(1).max(200).optional(),
  versions: z
    .string()
    .refine(
      (range) => range.trim() !== '' && semver.validRange(range.replaceAll(',', ' ')) !== null,
      'expected a semver range, e.g. ">=1.0.0 <2"',
    )
    .optional(),
  latest: z.number().int().min(1).max(10_000).optional(),
});

const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'expected an http:// or https:// URL',
  });

/** A user (htpasswd) or token name, as `access` lists them. */
const principalName = z
  .string()
  .regex(/^[^:\s]{1,128}$/, 'expected a user or token name (no ":" or spaces)');

const access = z
  .strictObject({
    read: z
      .union([z.literal('anonymous'), z.array(principalName).min(1)])
      .default(d.repo.access.read),
    write: z.array(principalName).default([...d.repo.access.write]),
  })
  .prefault({});

const auth = z
  .strictObject({
    /** bcrypt users for HTTP Basic, as `htpasswd -B` writes them; read at start. */
    htpasswd: z.string().min(1).optional(),
    /** Bearer tokens, stored as the sha256 hex of the token (`ballast auth hash-token`). */
    tokens: z
      .array(
        z.strictObject({
          name: principalName,
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
    tokenTtl: duration.prefault(d.auth.tokenTtl),
    /** Failed logins slow the next ones from the same address: delay doubles, up to maxDelay. */
    throttle: z
      .strictObject({
        delay: duration.prefault(d.auth.throttle.delay),
        maxDelay: duration.prefault(d.auth.throttle.maxDelay),
      })
      .prefault({}),
    /** The token endpoint's public URL, when a proxy in front changes scheme or host. */
    realm: httpUrl.optional(),
  })
  .prefault({});

const repo = z
  .strictObject({
    name: repoName,
    access,
    /** Charts uploaded to Ballast (ChartMuseum API, OCI push); with upstreams too, one index of both. */
    hosted: z.boolean().default(d.repo.hosted),
    upstreams: z.array(upstream).default([]),
    /** hosted only: `?force` (cm-push --force) may replace an uploaded version. */
    overwrite: z.enum(['never', 'force', 'always']).optional(),
    /** hosted only: the largest chart upload accepted. */
    maxUploadSize: size.optional(),
    /** hosted only: per chart, only this many versions are kept (the oldest by semver go). */
    keepVersions: z.number().int().min(1).max(100_000).optional(),
    /** Chart names to look up where an upstream has no index (OCI registries). */
    charts: z
      .array(z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/, 'expected a chart name'))
      .default([]),
    /** Union of all upstreams' entries instead of the first healthy upstream's index. */
    merge: z.boolean().default(d.repo.merge),
    refresh: duration.prefault(d.repo.refresh),
    /** Entries without a usable digest: pinned on first fetch (trust on first use), or skipped. */
    unverified: z.enum(['pin', 'skip']).default(d.repo.unverified),
    guard: z
      .strictObject({
        maxShrink: ratio.prefault(d.repo.guard.maxShrink),
        keepRemoved: z.boolean().default(d.repo.guard.keepRemoved),
      })
      .prefault({}),
    views: z
      .array(view)
      .default([])
      .refine(
        (views) => new Set(views.map((v) => v.name)).size === views.length,
        'view names must be unique within a repository',
      ),
  })
  .superRefine((r, ctx) => {
    if (!r.hosted && r.upstreams.length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['upstreams'],
        message: 'a mirrored repository needs at least one upstream (or hosted: true)',
      });
    if (r.hosted) return;
    for (const key of ['overwrite', 'maxUploadSize', 'keepVersions'] as const) {
      if (r[key] !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: 'applies to hosted repositories only: add hosted: true',
        });
    }
  })
  .transform(({ overwrite, maxUploadSize, ...r }) => ({
    ...r,
    overwrite: overwrite ?? d.repo.overwrite,
    maxUploadSize: maxUploadSize ?? (parseSize(d.repo.maxUploadSize) as number),
  }));

const dnsServer = z
  .string()
  .regex(
    /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:]*:[0-9a-fA-F:.]+)(:\d{1,5})?$/,
    'expected an IP address, optionally with :port',
  );

const resolver = z
  .strictObject({
    servers: z.array(dnsServer).optional(),
    staleFor: duration.prefault(d.resolver.staleFor),
    timeout: positiveDuration.prefault(d.resolver.timeout),
    hosts: z.record(z.string().min(1), z.array(z.ipv4().or(z.ipv6())).min(1)).default({}),
  })
  .prefault({});

const resilience = z
  .strictObject({
    deadline: positiveDuration.prefault(d.resilience.deadline),
    retry: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(100).default(d.resilience.retry.maxAttempts),
        baseDelay: duration.prefault(d.resilience.retry.baseDelay),
        maxDelay: duration.prefault(d.resilience.retry.maxDelay),
        retryAfterCap: duration.prefault(d.resilience.retry.retryAfterCap),
      })
      .prefault({}),
    breaker: z
      .strictObject({
        failureThreshold: z.number().int().min(1).default(d.resilience.breaker.failureThreshold),
        coolDown: duration.prefault(d.resilience.breaker.coolDown),
      })
      .prefault({}),
    hedge: z
      .strictObject({
        enabled: z.boolean().default(d.resilience.hedge.enabled),
        floor: duration.prefault(d.resilience.hedge.floor),
        ceiling: duration.prefault(d.resilience.hedge.ceiling),
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
    url: httpUrl.refine(withoutUserInfo, userInfoMessage),
    /** Maps the requested path to this upstream's layout: `path.replace(RegExp(match), to)`. */
    rewrite: z.strictObject({ match: compilableRegex, to: z.string() }).optional(),
    /** Hosts other than the upstream's own that its redirects may lead to. */
    redirectHosts: hostPatterns,
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
  refresh: duration.prefault(d.file.refresh),
  maxSize: size.prefault(d.file.maxSize),
  deadline: positiveDuration.prefault(d.file.deadline),
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
      maxSize: size.prefault(d.storage.s3.cache.maxSize),
    })
    .prefault({}),
});

const probes = z
  .strictObject({
    enabled: z.boolean().default(d.probes.enabled),
    interval: duration
      .prefault(d.probes.interval)
      .refine((ms) => ms >= 1000, 'expected at least 1s'),
    timeout: duration.prefault(d.probes.timeout),
  })
  .prefault({});

const webhook = z.strictObject({
  url: httpUrl,
  format: z.enum(['json', 'slack']).default(d.webhook.format),
  /** Header values are written inline (not secret) or as a secret reference. */
  headers: z.record(z.string().min(1), z.union([z.string(), secretRefSchema])).default({}),
});

const alerts = z
  .strictObject({
    webhooks: z.array(webhook).default([]),
    repeat: duration.prefault(d.alerts.repeat),
    certExpiry: duration.prefault(d.alerts.certExpiry),
    staleFor: duration.prefault(d.alerts.staleFor),
  })
  .prefault({});

export const configSchema = z.strictObject({
  listen: listen.default(d.listen),
  server: z
    .strictObject({
      maxConnections: z.number().int().min(1).default(d.server.maxConnections),
      headersTimeout: positiveDuration.prefault(d.server.headersTimeout),
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
      connect: positiveDuration.prefault(d.timeouts.connect),
      headers: positiveDuration.prefault(d.timeouts.headers),
      body: positiveDuration.prefault(d.timeouts.body),
    })
    .prefault({}),
  limits: z
    .strictObject({
      indexSize: size.prefault(d.limits.indexSize),
      chartSize: size.prefault(d.limits.chartSize),
      provSize: size.prefault(d.limits.provSize),
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
