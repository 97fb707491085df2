import { looksLikeDigest } from './digest.ts';

/**
 * Repository name components of the distribution spec: lowercase alphanumerics joined by
 * `.`, `_`, `__` or dashes. Nothing that could step out of a path (`..`, `/`, `%`) fits.
 */
const componentPattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;

/** The spec limits a whole name (with its host-less path) to 255 characters. */
export const maxNameLength = 255;

export function isNameComponent(value: string): boolean {
  return value.length <= maxNameLength && componentPattern.test(value);
}

/** A repository name: components separated by single slashes. */
export function isRepositoryName(value: string): boolean {
  return value.length <= maxNameLength && value.split('/').every((part) => isNameComponent(part));
}

export function isTag(value: string): boolean {
  return tagPattern.test(value);
}

/** A manifest reference: a tag, or a digest (which the caller then checks for sha256). */
export type ReferenceKind = 'tag' | 'digest';

export function referenceKind(reference: string): ReferenceKind | undefined {
  if (isTag(reference)) return 'tag';
  if (looksLikeDigest(reference)) return 'digest';
  return undefined;
}

/** Why a name is not acceptable, for error messages; undefined when it is fine. */
export function repositoryNameProblem(value: string): string | undefined {
  if (value === '') return 'the name is empty';
  if (value.length > maxNameLength) return `longer than ${maxNameLength} characters`;
  if (!isRepositoryName(value))
    return 'components must be lowercase letters and digits joined by ".", "_", "__" or "-"';
  return undefined;
}
