export { canonicalJson, canonicalJsonBytes, type JsonValue } from './canonical-json.ts';
export {
  buildChartArtifact,
  type ChartArtifact,
  type ChartArtifactInput,
} from './chart-artifact.ts';
export { parseChartConfig } from './chart-config.ts';
export {
  digestFromHex,
  digestHex,
  isSha256Digest,
  looksLikeDigest,
  type Sha256Digest,
  sha256Digest,
} from './digest.ts';
export {
  type DistributionErrorBody,
  type DistributionErrorCode,
  distributionErrorBody,
  distributionErrors,
  readDistributionError,
} from './distribution-errors.ts';
export { formatNextPageLink, nextPageLink } from './link-header.ts';
export {
  type ChartManifest,
  type Descriptor,
  type ImageManifest,
  parseChartManifest,
} from './manifest.ts';
export * from './media-types.ts';
export {
  isNameComponent,
  isRepositoryName,
  isTag,
  maxNameLength,
  type ReferenceKind,
  referenceKind,
  repositoryNameProblem,
} from './names.ts';
export { OciFormatError } from './oci-format-error.ts';
export {
  chartRepository,
  formatOciChartUrl,
  type OciChartReference,
  type OciUpstreamLocation,
  parseOciChartUrl,
  parseOciUpstreamUrl,
} from './oci-reference.ts';
export { lexicalSort, pageOf, parseTagList } from './tag-list.ts';
export { tagToVersion, versionToTag } from './tag-version.ts';
