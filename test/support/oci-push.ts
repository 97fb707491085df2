import { createHash } from 'node:crypto';
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
