import { z } from 'zod';
import { configDefaults as d } from './defaults.ts';
import { parseDuration, parseRatio, parseSize } from './units.ts';

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
const size = human(parseSize, 'a size such as 512KiB or 64MiB');
const ratio = human(parseRatio, 'a percentage such as 10% or a fraction between 0 and 1');

const listen = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[^:\s]*):\d{1,5}$/, 'expected host:port');

const repoName = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9._-]{0,62}$/,
    'expected lowercase letters, digits, ".", "_" or "-", starting with a letter or digit',
  )
  .refine((name) => !['v2', 'api', 'files', 'metrics'].includes(name), 'is a reserved path');

const upstreamUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^(https?|oci):$/.test(new URL(value).protocol), {
    message: 'expected an http://, https:// (classic repository) or oci:// (registry) URL',
  });

const httpUrl = z
  .string()
  .refine((value) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol), {
    message: 'expected an http:// or https:// URL',
  });

const upstream = z.strictObject({
  url: upstreamUrl,
  /** Hosts other than the upstream's own that its index may point chart URLs at. */
  chartHosts: z.array(z.string().min(1)).default([]),
  /** oci:// only: the registry speaks plain HTTP (e.g. a registry on loopback). */
  plainHttp: z.boolean().default(false),
  /** oci:// only: credentials for the registry's token or basic auth. */
  credentials: z.strictObject({ username: z.string().min(1), password: z.string() }).optional(),
});

/** A user (htpasswd) or token name, as `access` lists them. */
const principalName = z
  .string()
  .regex(/^[^:\s]{1,128}$/, 'expected a user or token name (no ":" or spaces)');

/** A secret is never inline: it is read from an environment variable or a file at start. */
export const secretReference = z.union([
  z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected a variable name') }),
  z.strictObject({ file: z.string().min(1) }),
]);

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
    tokenKey: secretReference.optional(),
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

const repo = z.strictObject({
  name: repoName,
  access,
  upstreams: z.array(upstream).min(1, 'a mirrored repository needs at least one upstream'),
  /** Chart names to look up where an upstream has no index (OCI registries). */
  charts: z
    .array(z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/, 'expected a chart name'))
    .default([]),
  /** Union of all upstreams' entries instead of the first healthy upstream's index. */
  merge: z.boolean().default(d.repo.merge),
  refresh: duration.prefault(d.repo.refresh),
  guard: z
    .strictObject({
      maxShrink: ratio.prefault(d.repo.guard.maxShrink),
      keepRemoved: z.boolean().default(d.repo.guard.keepRemoved),
    })
    .prefault({}),
});

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
    timeout: duration.prefault(d.resolver.timeout),
    hosts: z.record(z.string().min(1), z.array(z.ipv4().or(z.ipv6())).min(1)).default({}),
  })
  .prefault({});

const resilience = z
  .strictObject({
    deadline: duration.prefault(d.resilience.deadline),
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
    url: httpUrl,
    /** Maps the requested path to this upstream's layout: `path.replace(RegExp(match), to)`. */
    rewrite: z.strictObject({ match: compilableRegex, to: z.string() }).optional(),
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
  deadline: duration.prefault(d.file.deadline),
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

export const configSchema = z.strictObject({
  listen: listen.default(d.listen),
  storage: z
    .strictObject({
      fs: z.strictObject({ path: z.string().min(1).default(d.storage.fs.path) }).prefault({}),
    })
    .prefault({}),
  log: z
    .strictObject({
      level: z
        .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
        .default(d.log.level),
    })
    .prefault({}),
  timeouts: z
    .strictObject({
      connect: duration.prefault(d.timeouts.connect),
      headers: duration.prefault(d.timeouts.headers),
      body: duration.prefault(d.timeouts.body),
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
  auth,
});

export type Config = z.output<typeof configSchema>;
export type FileMirrorConfig = Config['files'][number];
export type FileUpstreamConfig = FileMirrorConfig['upstreams'][number];
export type RepoConfig = Config['repos'][number];
export type AuthConfig = Config['auth'];
export type SecretReference = z.output<typeof secretReference>;
export type UpstreamConfig = RepoConfig['upstreams'][number];
