import { isSha256Digest, type Sha256Digest } from './digest.ts';
import {
  bareMediaType,
  chartLayerMediaTypes,
  chartManifestMediaTypes,
  helmConfigMediaType,
  helmProvenanceLayerMediaType,
  ociManifestMediaType,
} from './media-types.ts';
import { OciFormatError } from './oci-format-error.ts';

/** A content descriptor (OCI image spec): what a manifest says about a blob. */
export interface Descriptor {
  mediaType: string;
  digest: Sha256Digest;
  size: number;
  annotations?: Record<string, string>;
}

/** An image manifest, schema 2, as Helm pushes charts (no `mediaType` field, usually). */
export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** A manifest that holds a Helm chart, with its parts picked out. */
export interface ChartManifest {
  manifest: ImageManifest;
  /** The manifest's media type: its own field, else the Content-Type it came with. */
  mediaType: string;
  config: Descriptor;
  chart: Descriptor;
  provenance?: Descriptor;
  annotations: Record<string, string>;
}

/**
 * Parses manifest bytes and checks that they describe a Helm chart: schema 2, a Helm config,
 * exactly one chart layer (the legacy `application/tar+gzip` too), at most one provenance
 * layer; other layers are ignored as Helm ignores them. Only sha256 digests are accepted,
 * because Ballast verifies every blob it keeps. Throws OciFormatError with the reason.
 */
export function parseChartManifest(bytes: Uint8Array, contentType?: string): ChartManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new OciFormatError('the manifest is not JSON');
  }
  if (!isObject(raw)) throw new OciFormatError('the manifest is not a JSON object');
  if (raw.schemaVersion !== 2)
    throw new OciFormatError(`schemaVersion is ${JSON.stringify(raw.schemaVersion)}, not 2`);
  const mediaType = manifestMediaType(raw.mediaType, contentType);
  const config = descriptor(raw.config, 'config');
  if (config.mediaType !== helmConfigMediaType) {
    throw new OciFormatError(
      `the config has media type ${config.mediaType}, not ${helmConfigMediaType}: not a Helm chart`,
    );
  }
  if (!Array.isArray(raw.layers)) throw new OciFormatError('layers is not a list');
  const layers = raw.layers.map((layer, i) => descriptor(layer, `layers[${i}]`));
  const charts = layers.filter((layer) => chartLayerMediaTypes.includes(layer.mediaType));
  const provenances = layers.filter((layer) => layer.mediaType === helmProvenanceLayerMediaType);
  const [chart] = charts;
  if (!chart || charts.length > 1)
    throw new OciFormatError(`expected exactly one chart layer, found ${charts.length}`);
  if (provenances.length > 1)
    throw new OciFormatError(`expected at most one provenance layer, found ${provenances.length}`);
  const annotations = stringMap(raw.annotations, 'annotations') ?? {};
  const manifest: ImageManifest = {
    schemaVersion: 2,
    ...(typeof raw.mediaType === 'string' ? { mediaType: raw.mediaType } : {}),
    ...(typeof raw.artifactType === 'string' ? { artifactType: raw.artifactType } : {}),
    config,
    layers,
    ...(raw.annotations === undefined ? {} : { annotations }),
  };
  const provenance = provenances[0];
  return { manifest, mediaType, config, chart, ...(provenance ? { provenance } : {}), annotations };
}

function manifestMediaType(field: unknown, contentType: string | undefined): string {
  const header = bareMediaType(contentType);
  if (field !== undefined) {
    if (typeof field !== 'string' || !chartManifestMediaTypes.includes(field))
      throw new OciFormatError(`media type ${String(field)} is not a single-artifact manifest`);
    return field;
  }
  // Registries answer with the stored type; a generic JSON type says nothing either way.
  if (header && chartManifestMediaTypes.includes(header)) return header;
  if (header?.startsWith('application/vnd.'))
    throw new OciFormatError(`media type ${header} is not a single-artifact manifest`);
  return ociManifestMediaType;
}

function descriptor(raw: unknown, path: string): Descriptor {
  if (!isObject(raw)) throw new OciFormatError(`${path} is not a descriptor object`);
  const { mediaType, digest, size } = raw;
  if (typeof mediaType !== 'string' || mediaType === '')
    throw new OciFormatError(`${path}.mediaType is missing`);
  if (typeof digest !== 'string' || !isSha256Digest(digest))
    throw new OciFormatError(
      `${path}.digest ${JSON.stringify(digest)} is not a sha256 digest Ballast can verify`,
    );
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new OciFormatError(`${path}.size is not a non-negative integer`);
  const annotations = stringMap(raw.annotations, `${path}.annotations`);
  return { mediaType, digest, size, ...(annotations ? { annotations } : {}) };
}

function stringMap(raw: unknown, path: string): Record<string, string> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (!isObject(raw)) throw new OciFormatError(`${path} is not an object`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') throw new OciFormatError(`${path}.${key} is not a string`);
    if (key === '__proto__') continue;
    out[key] = value;
  }
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
