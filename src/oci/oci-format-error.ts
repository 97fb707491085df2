/**
 * A document from a registry (manifest, config, tag list, token answer) that does not have
 * the shape the specs give. Pure modules throw it with the reason; the upstream client turns
 * it into a BallastError that names the source.
 */
export class OciFormatError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'OciFormatError';
  }
}
