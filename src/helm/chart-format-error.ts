/**
 * A chart archive or chart metadata that is not what Helm would load. Pure modules throw it
 * with the reason; callers turn it into the BallastError of their context (a refused upload,
 * an upstream chart that cannot be served over OCI).
 */
export class ChartFormatError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ChartFormatError';
  }
}
