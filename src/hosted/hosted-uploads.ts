import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { RepoConfig } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import type { ValidChart } from '../helm/chart-upload.ts';
import { chartFileName } from '../helm/chart-url.ts';
import { newestFirst } from '../helm/chart-version.ts';
import type { Digest, Store } from '../store/store.ts';
import type { CatalogueStore } from './catalogue-store.ts';
import { findVersion, withChart } from './hosted-catalogue.ts';
import type { Actor, ChartUpload, HostedVersion } from './hosted-writes.ts';
import { readProvenanceClaims } from './provenance-file.ts';

export interface HostedUploadsOptions {
  repo: RepoConfig;
  store: Store;
  catalogue: CatalogueStore;
  limits: { provSize: number };
  now: () => number;
  validate: (chart: Buffer, fileName: string | undefined) => Promise<ValidChart>;
  audit: (
    action: 'upload' | 'push' | 'delete',
    actor: Actor,
    version: HostedVersion,
    digest: Digest | undefined,
  ) => void;
}

export function digestOf(bytes: Buffer): Digest {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Uploads into a hosted repository: the archive is checked, its blobs are stored, then the
 * catalogue names them (so a failure at any step leaves the catalogue as it was, and at
 * worst a blob that `store gc` removes). The overwrite policy and `keepVersions` are applied
 * inside the catalogue write, against the catalogue as it is in the store.
 */
export function createHostedUploads(options: HostedUploadsOptions) {
  const { repo, store, catalogue, limits, now } = options;

  /** Throws 409 unless this upload may replace the version that exists. */
  function mayReplace(name: string, version: string, force: boolean) {
    if (repo.overwrite === 'always' || (force && repo.overwrite === 'force')) return;
    const hint =
      repo.overwrite === 'force'
        ? 'add ?force (helm cm-push --force) to replace it'
        : 'this repository never replaces a version (overwrite: never); publish a new version';
    throw new BallastError('BALLAST_CHART_EXISTS', { repo: repo.name, name, version, hint });
  }

  function checkProvenance(prov: Buffer, name: string, version: string, digest: Digest) {
    if (prov.length > limits.provSize)
      throw new BallastError('BALLAST_PROVENANCE_INVALID', {
        reason: `it is larger than ${limits.provSize} bytes (limits.provSize)`,
      });
    let claims: ReturnType<typeof readProvenanceClaims>;
    try {
      claims = readProvenanceClaims(prov);
    } catch (error) {
      throw new BallastError('BALLAST_PROVENANCE_INVALID', { reason: (error as Error).message });
    }
    if (claims.name !== name || claims.version !== version)
      throw new BallastError('BALLAST_PROVENANCE_INVALID', {
        reason: `it signs ${claims.name} ${claims.version}, not ${name} ${version}`,
      });
    const file = chartFileName(name, version);
    if (claims.files[file] !== digest)
      throw new BallastError('BALLAST_PROVENANCE_INVALID', {
        reason: `it lists ${file} as ${String(claims.files[file] ?? 'nothing')}, but the chart is ${digest}`,
      });
    return claims;
  }

  const putBlob = (bytes: Buffer, what: string) =>
    store.putBlob(Readable.from([bytes]), {
      expectedDigest: digestOf(bytes),
      maxBytes: Math.max(repo.maxUploadSize, limits.provSize),
      what,
      source: `upload to ${repo.name}`,
    });

  /** Per chart, the newest `keepVersions` and the one just uploaded stay. */
  function keepNewest(versions: HostedVersion[], uploaded: HostedVersion) {
    const limit = repo.keepVersions;
    const sorted = [...versions].sort((a, b) => newestFirst(a.version, b.version));
    if (limit === undefined || sorted.length <= limit) return { kept: sorted, removed: [] };
    const others = sorted.filter((v) => v !== uploaded);
    const removed = others.slice(limit - 1);
    return { kept: sorted.filter((v) => !removed.includes(v)), removed };
  }

  return {
    async putChart(upload: ChartUpload & { fileName?: string }, actor: Actor) {
      if (upload.chart.length > repo.maxUploadSize)
        throw new BallastError('BALLAST_UPLOAD_TOO_LARGE', {
          repo: repo.name,
          limit: repo.maxUploadSize,
        });
      const { metadata, name, version, digest } = await options.validate(
        upload.chart,
        upload.fileName,
      );
      const force = upload.force === true;
      // Refused before anything is stored; checked again against the stored catalogue below.
      if (findVersion(catalogue.current(), name, version)) mayReplace(name, version, force);
      let provenance: Digest | undefined;
      if (upload.prov) {
        checkProvenance(upload.prov, name, version, digest);
        provenance = (await putBlob(upload.prov, `${chartFileName(name, version)}.prov`)).digest;
      }
      const blob = await putBlob(upload.chart, chartFileName(name, version));
      const entry: HostedVersion = {
        name,
        version,
        digest: blob.digest,
        size: blob.size,
        created: new Date(now()).toISOString(),
        metadata,
        ...(provenance ? { provenance } : {}),
        ...(upload.manifest ? { manifest: upload.manifest } : {}),
      };
      const removed = await catalogue.update((c) => {
        const versions = c.charts.get(name)?.versions ?? [];
        if (versions.some((v) => v.version === version)) mayReplace(name, version, force);
        const { kept, removed } = keepNewest(
          [entry, ...versions.filter((v) => v.version !== version)],
          entry,
        );
        return { catalogue: withChart(c, name, kept), result: removed };
      });
      options.audit(upload.manifest ? 'push' : 'upload', actor, entry, entry.digest);
      // Versions past keepVersions go in the same write; each is audited as a delete.
      for (const old of removed) options.audit('delete', actor, old, old.digest);
      return entry;
    },

    async putProvenance(prov: Buffer, actor: Actor, { force = false } = {}) {
      let claims: ReturnType<typeof readProvenanceClaims>;
      try {
        claims = readProvenanceClaims(prov);
      } catch (error) {
        throw new BallastError('BALLAST_PROVENANCE_INVALID', { reason: (error as Error).message });
      }
      const { name, version } = claims;
      const notFound = () =>
        new BallastError('BALLAST_HOSTED_VERSION_NOT_FOUND', { repo: repo.name, name, version });
      const existing = findVersion(await catalogue.fresh(), name, version);
      if (!existing) throw notFound();
      checkProvenance(prov, name, version, existing.digest);
      if (existing.provenance) mayReplace(name, version, force);
      const stored = await putBlob(prov, `${chartFileName(name, version)}.prov`);
      const updated = await catalogue.update((c) => {
        const current = findVersion(c, name, version);
        if (!current || current.digest !== existing.digest) throw notFound();
        if (current.provenance) mayReplace(name, version, force);
        const next = { ...current, provenance: stored.digest };
        const others = (c.charts.get(name)?.versions ?? []).filter((v) => v !== current);
        return { catalogue: withChart(c, name, [next, ...others]), result: next };
      });
      options.audit('upload', actor, updated, stored.digest);
      return updated;
    },
  };
}
