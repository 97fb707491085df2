import { BallastError } from '../errors/ballast-error.ts';
import { isSha256Digest, type Sha256Digest } from '../oci/digest.ts';
import { isRepositoryName, repositoryNameProblem } from '../oci/names.ts';
import { OciFormatError } from '../oci/oci-format-error.ts';
import {
  chartRepository,
  type OciUpstreamLocation,
  parseOciUpstreamUrl,
} from '../oci/oci-reference.ts';

/**
 * Checks of everything that goes into a registry URL, made before any request: a chart name,
 * tag or digest that could step out of its path (`..`, `/`, `%2F`) never leaves Ballast.
 */

export function upstreamLocation(url: string): OciUpstreamLocation {
  try {
    return parseOciUpstreamUrl(url);
  } catch (error) {
    if (!(error instanceof OciFormatError)) throw error;
    throw new BallastError('BALLAST_OCI_REFERENCE_INVALID', {
      kind: 'upstream URL',
      value: url,
      reason: error.message,
    });
  }
}

/** `namespace/chart` for a chart name that is one name component. */
export function chartRepositoryChecked(location: OciUpstreamLocation, chart: string): string {
  const problem = chart.includes('/')
    ? 'a chart name has no slashes'
    : repositoryNameProblem(chart);
  if (problem)
    throw new BallastError('BALLAST_OCI_REFERENCE_INVALID', {
      kind: 'chart name',
      value: JSON.stringify(chart),
      reason: problem,
    });
  const repository = chartRepository(location, chart);
  if (!isRepositoryName(repository))
    throw new BallastError('BALLAST_OCI_REFERENCE_INVALID', {
      kind: 'repository',
      value: repository,
      reason: 'longer than 255 characters',
    });
  return repository;
}

export function digestOf(digest: string, kind: string): Sha256Digest {
  if (!isSha256Digest(digest))
    throw new BallastError('BALLAST_OCI_REFERENCE_INVALID', {
      kind,
      value: JSON.stringify(digest),
      reason: 'Ballast verifies sha256 digests only: sha256: and 64 lowercase hex characters',
    });
  return digest;
}

/** The token scope for pulling from a repository (distribution token spec). */
export function pullScope(repository: string): string {
  return `repository:${repository}:pull`;
}
