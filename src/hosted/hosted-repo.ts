import type { RepoConfig } from '../config/schema.ts';
import { BallastError } from '../errors/ballast-error.ts';
import { type ValidChart, validateChartUpload } from '../helm/chart-upload.ts';
import { unsafeFileNameReason } from '../helm/chart-url.ts';
import type { ChartRepo } from '../mirror/chart-repo.ts';
import { checkView } from '../mirror/index-view.ts';
import type { IndexStatus } from '../mirror/repo-index.ts';
import type { ServedIndex } from '../mirror/served-index.ts';
import type { EventBus } from '../observability/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { BlobInfo, Digest, Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { createCatalogueStore } from './catalogue-store.ts';
import { filesOf, findVersion, type HostedCatalogue, withChart } from './hosted-catalogue.ts';
import { createHostedIndexRenderer } from './hosted-index.ts';
import { createHostedUploads } from './hosted-uploads.ts';
import type { Actor, HostedVersion, HostedWrites } from './hosted-writes.ts';

export interface HostedRepoOptions {
  repo: RepoConfig;
  store: Store;
  bus: EventBus;
  logger: Logger;
  limits: { chartSize: number; provSize: number };
  now?: () => number;
  /** How often the index asks the store whether another replica wrote; 1 s by default. */
  recheckMs?: number;
  /** What the served index says `cm-push` should prefix `/api/…` with. */
  contextPath?: string;
  /** Checks an uploaded archive and returns its Chart.yaml (tests may replace it). */
  validate?: (chart: Buffer, fileName: string | undefined) => Promise<ValidChart>;
  sleep?: (ms: number) => Promise<void>;
}

/** A repository whose charts are uploaded to Ballast: what routes read and uploads write. */
export interface HostedRepo extends ChartRepo, HostedWrites {
  /** The version a chart file (`name-version.tgz`, `.prov`) of the index names, if hosted. */
  versionOf(file: string): Promise<HostedVersion | undefined>;
}

export function createHostedRepo(options: HostedRepoOptions): HostedRepo {
  const { repo, store, bus } = options;
  const now = options.now ?? Date.now;
  const logger = options.logger.child({ repo: repo.name });
  const catalogue = createCatalogueStore({
    repo: repo.name,
    store,
    key: storeKeys.hostedCatalogue(repo.name),
    now,
    recheckMs: options.recheckMs ?? 1000,
    ...(options.sleep ? { sleep: options.sleep } : {}),
  });
  const render = createHostedIndexRenderer({
    apiVersion: 'v1',
    serverInfo: { contextPath: options.contextPath ?? '' },
  });
  let rendered: { from: HostedCatalogue; index: ServedIndex } | undefined;
  let files: { from: HostedCatalogue; map: Map<string, HostedVersion> } | undefined;
  let loadError: Error | undefined;
  const verified = new Map<Digest, BlobInfo>();

  const validate =
    options.validate ??
    ((chart: Buffer, fileName: string | undefined) =>
      validateChartUpload(chart, {
        limits: { maxBytes: repo.maxUploadSize },
        ...(fileName ? { fileName } : {}),
      }));
  const uploads = createHostedUploads({
    repo,
    store,
    catalogue,
    limits: options.limits,
    now,
    validate,
    audit: (action, actor, version, digest) =>
      bus.emit('audit:write', {
        who: actor.who,
        action,
        repo: repo.name,
        name: version.name,
        version: version.version,
        ...(digest ? { digest } : {}),
        address: actor.address,
      }),
  });

  const fileMap = (c: HostedCatalogue) => {
    if (files?.from !== c) files = { from: c, map: filesOf(c) };
    return files.map;
  };

  async function versionOf(file: string): Promise<HostedVersion | undefined> {
    const reason = unsafeFileNameReason(file);
    if (reason)
      throw new BallastError('BALLAST_BAD_PATH', { segment: JSON.stringify(file), reason });
    const chartFile = file.replace(/\.prov$/, '');
    const found = fileMap(await catalogue.fresh()).get(chartFile);
    // Uploaded through another replica a moment ago: ask the store before saying no.
    return found ?? fileMap(await catalogue.fresh({ force: true })).get(chartFile);
  }

  async function required(file: string): Promise<HostedVersion> {
    const version = await versionOf(file);
    if (!version) throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo: repo.name, file });
    return version;
  }

  async function blobBytes(digest: Digest): Promise<Buffer> {
    return Buffer.concat(await (await store.readBlob(digest)).toArray());
  }

  return {
    name: repo.name,
    maxUploadSize: repo.maxUploadSize,
    views: new Map(repo.views.map(({ name, ...view }) => [name, checkView(view)])),
    versionOf,

    async load() {
      try {
        await catalogue.load();
        loadError = undefined;
      } catch (error) {
        loadError = error as Error;
        logger.error({ err: error }, 'hosted catalogue unreadable: uploads are refused');
      }
    },

    async index() {
      const current = await catalogue.fresh();
      if (rendered?.from !== current) rendered = { from: current, index: render(current) };
      return { index: rendered.index, checkedAt: catalogue.checkedAt() };
    },

    async refresh() {
      await catalogue.fresh({ force: true });
    },

    status(): IndexStatus {
      let versions = 0;
      let ready = true;
      try {
        for (const chart of catalogue.current().charts.values()) versions += chart.versions.length;
      } catch {
        ready = false;
      }
      return {
        ready,
        loading: false,
        versions,
        checkedAt: catalogue.checkedAt(),
        ...(loadError ? { lastError: loadError.message } : {}),
      };
    },

    async chart(file) {
      const version = await required(file);
      const blob = verified.get(version.digest) ?? (await store.statBlob(version.digest));
      if (!blob) {
        logger.error(
          { file, digest: version.digest },
          'an uploaded chart is missing from the store',
        );
        throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo: repo.name, file });
      }
      verified.set(blob.digest, blob);
      bus.emit('cache:hit', { repo: repo.name, kind: 'chart', chart: version.name });
      return blob;
    },

    async provenance(file) {
      const version = await required(file);
      if (!version.provenance)
        throw new BallastError('BALLAST_CHART_NOT_FOUND', { repo: repo.name, file });
      return blobBytes(version.provenance);
    },

    async upstreamManifest(file) {
      const version = await required(file);
      return version.manifest ? blobBytes(version.manifest.digest) : undefined;
    },

    putChart: uploads.putChart,
    putProvenance: uploads.putProvenance,

    async remove(name, version, actor: Actor) {
      const removed = await catalogue.update((c) => {
        const old = findVersion(c, name, version);
        if (!old) return { result: undefined };
        const rest = (c.charts.get(name)?.versions ?? []).filter((v) => v !== old);
        return { catalogue: withChart(c, name, rest), result: old };
      });
      if (!removed) return false;
      bus.emit('audit:write', {
        who: actor.who,
        action: 'delete',
        repo: repo.name,
        name,
        version,
        digest: removed.digest,
        address: actor.address,
      });
      return true;
    },

    async list() {
      const current = await catalogue.fresh();
      return new Map([...current.charts].map(([name, chart]) => [name, chart.versions]));
    },

    async get(name, version) {
      return findVersion(await catalogue.fresh(), name, version);
    },
  };
}
