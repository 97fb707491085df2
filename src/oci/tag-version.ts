/**
 * OCI tags cannot hold `+`, so Helm stores a chart version's build metadata with `_` instead
 * (`1.0.0+build.7` is tagged `1.0.0_build.7`) and maps it back on pull.
 */
export function versionToTag(version: string): string {
  return version.replaceAll('+', '_');
}

export function tagToVersion(tag: string): string {
  return tag.replaceAll('_', '+');
}
