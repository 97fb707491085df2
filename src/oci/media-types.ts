/** Media types of the OCI distribution and image specs, and Helm's chart artifact types. */

export const ociManifestMediaType = 'application/vnd.oci.image.manifest.v1+json';
export const dockerManifestMediaType = 'application/vnd.docker.distribution.manifest.v2+json';

/** The single-artifact manifest types a Helm chart can be stored under. */
export const chartManifestMediaTypes: readonly string[] = [
  ociManifestMediaType,
  dockerManifestMediaType,
];

/** What Ballast sends as `Accept` when it asks a registry for a chart manifest. */
export const manifestAcceptHeader = `${ociManifestMediaType}, ${dockerManifestMediaType}`;

export const helmConfigMediaType = 'application/vnd.cncf.helm.config.v1+json';
export const helmChartLayerMediaType = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';
export const helmProvenanceLayerMediaType = 'application/vnd.cncf.helm.chart.provenance.v1.prov';
/** Charts pushed by Helm before 3.x final used this layer type; still accepted on pull. */
export const legacyChartLayerMediaType = 'application/tar+gzip';

export const chartLayerMediaTypes: readonly string[] = [
  helmChartLayerMediaType,
  legacyChartLayerMediaType,
];

/** Manifest annotations (OCI image spec, "Pre-Defined Annotation Keys"). */
export const annotationCreated = 'org.opencontainers.image.created';
export const annotationTitle = 'org.opencontainers.image.title';
export const annotationVersion = 'org.opencontainers.image.version';
export const annotationDescription = 'org.opencontainers.image.description';

/** Strips parameters (`; charset=…`) and case from a Content-Type value. */
export function bareMediaType(contentType: string | undefined): string | undefined {
  const bare = contentType?.split(';')[0]?.trim().toLowerCase();
  return bare === '' ? undefined : bare;
}
