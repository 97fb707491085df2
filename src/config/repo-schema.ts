import semver from 'semver';
import { z } from 'zod';
import { configDefaults as d } from './defaults.ts';
import * as v from './schema-values.ts';
import { parseSize } from './units.ts';
import { upstreamAuthSchema } from './upstream-auth.ts';

// A repository of the config (`repos[]`): its upstreams, views, access and hosted options.

const upstream = z
  .strictObject({
    url: v.upstreamUrl,
    /** Hosts other than the upstream's own that its chart URLs and redirects may lead to. */
    chartHosts: v.hostPatterns,
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

const access = z
  .strictObject({
    read: z
      .union([z.literal('anonymous'), z.array(v.principalName).min(1)])
      .default(d.repo.access.read),
    write: z.array(v.principalName).default([...d.repo.access.write]),
  })
  .prefault({});

export const repo = z
  .strictObject({
    name: v.repoName,
    access,
    /** Charts uploaded to Ballast (ChartMuseum API, OCI push); with upstreams too, one index of both. */
    hosted: z.boolean().default(d.repo.hosted),
    upstreams: z.array(upstream).default([]),
    /** hosted only: `?force` (cm-push --force) may replace an uploaded version. */
    overwrite: z.enum(['never', 'force', 'always']).optional(),
    /** hosted only: the largest chart upload accepted. */
    maxUploadSize: v.size.optional(),
    /** hosted only: per chart, only this many versions are kept (the oldest by semver go). */
    keepVersions: z.number().int().min(1).max(100_000).optional(),
    /** Chart names to look up where an upstream has no index (OCI registries). */
    charts: z
      .array(z.string().regex(/^[a-z0-9]+([._-][a-z0-9]+)*$/, 'expected a chart name'))
      .default([]),
    /** Union of all upstreams' entries instead of the first healthy upstream's index. */
    merge: z.boolean().default(d.repo.merge),
    refresh: v.duration.prefault(d.repo.refresh),
    /** Entries without a usable digest: pinned on first fetch (trust on first use), or skipped. */
    unverified: z.enum(['pin', 'skip']).default(d.repo.unverified),
    guard: z
      .strictObject({
        maxShrink: v.ratio.prefault(d.repo.guard.maxShrink),
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
