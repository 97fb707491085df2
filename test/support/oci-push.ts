import { createHash } from 'node:crypto';
import { validateChartUpload } from '../../src/helm/chart-upload.ts';
import type {
  Actor,
  ChartUpload,
  HostedVersion,
  HostedWrites,
} from '../../src/hosted/hosted-writes.ts';
import { tgzOf } from './tar-archive.ts';

export const sha256 = (bytes: Uint8Array) =>
  `sha256:${createHash('sha256').update(bytes).digest('hex')}` as const;

/** A chart archive as `helm package` lays it out: `<name>/Chart.yaml` and a template. */
export function chartArchive(name: string, version: string): Promise<Buffer> {
  return tgzOf([
    {
      name: `${name}/Chart.yaml`,
      body: `apiVersion: v2\nname: ${name}\nversion: ${version}\ndescription: pushed\n`,
    },
    {
      name: `${name}/templates/cm.yaml`,
      body: 'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n',
    },
  ]);
}

/** The blobs and manifest Helm pushes for a chart. */
export async function helmArtifact(name: string, version: string, layer?: Buffer) {
  const chart = layer ?? (await chartArchive(name, version));
  const config = Buffer.from(JSON.stringify({ name, version, apiVersion: 'v2' }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.cncf.helm.config.v1+json',
        digest: sha256(config),
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip',
          digest: sha256(chart),
          size: chart.length,
        },
      ],
      annotations: { 'org.opencontainers.image.title': name },
    }),
  );
  return { chart, config, manifest, manifestDigest: sha256(manifest) };
}

/** HostedWrites in memory, recording what it was given: a stand-in for route tests. */
export function memoryHostedWrites(name: string, maxUploadSize = 20 * 1024 * 1024) {
  const versions = new Map<string, HostedVersion>();
  const calls: { op: string; actor: Actor; upload?: ChartUpload }[] = [];
  const hosted: HostedWrites = {
    name,
    maxUploadSize,
    async putChart(upload, actor) {
      // The validation every hosted repo applies, so hostile layers meet the real checks.
      const { metadata } = await validateChartUpload(upload.chart);
      const key = `${metadata.name} ${metadata.version}`;
      if (versions.has(key) && !upload.force) throw new Error(`${key} exists`);
      calls.push({ op: 'put', actor, upload });
      const version: HostedVersion = {
        name: metadata.name,
        version: metadata.version,
        digest: sha256(upload.chart),
        size: upload.chart.length,
        created: new Date().toISOString(),
        metadata,
        ...(upload.manifest ? { manifest: upload.manifest } : {}),
      };
      versions.set(key, version);
      return version;
    },
    async putProvenance() {
      throw new Error('not used');
    },
    async remove(chart, version, actor) {
      calls.push({ op: 'remove', actor });
      return versions.delete(`${chart} ${version}`);
    },
    async list() {
      const byName = new Map<string, HostedVersion[]>();
      for (const v of versions.values()) byName.set(v.name, [...(byName.get(v.name) ?? []), v]);
      return byName;
    },
    async get(chart, version) {
      return versions.get(`${chart} ${version}`);
    },
  };
  return { hosted, calls, versions };
}
