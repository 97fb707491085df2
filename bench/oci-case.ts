import { type CaseResult, type LoadShape, runCase, type Target } from './measure.ts';
import { type OciBenchServers, ociManifestHeaders } from './oci-bench-setup.ts';

/**
 * The `oci` case: the same chart pulled over the OCI distribution API from Ballast and from
 * the registry it mirrors, as two measurements: the manifest by tag and the chart layer by
 * digest. Ballast must not ask the registry anything while it is measured.
 */
export async function runOciCases(
  servers: OciBenchServers,
  load: Omit<LoadShape, 'headers'>,
  rounds: number,
  progress: (message: string) => void,
): Promise<CaseResult[]> {
  const { ballast, registry, urls, chart, manifest } = servers;
  const ballastTarget = (url: string): Target => ({
    server: 'ballast',
    url,
    pids: () => [ballast.pid],
  });
  const registryTarget = (url: string): Target => ({
    server: 'registry',
    url,
    // One Go process: its /proc stat counts every thread.
    pids: () => [registry.pid],
  });
  const before = await servers.upstreamRequests();
  const manifestCase = await runCase(
    { id: 'oci-manifest', title: `OCI manifest (${manifest.bytes} bytes)`, rounds },
    { ...load, headers: ociManifestHeaders },
    [ballastTarget(urls.ballastManifest), registryTarget(urls.registryManifest)],
    progress,
  );
  const blobCase = await runCase(
    { id: 'oci-blob', title: `OCI chart layer ${Math.round(chart.bytes / 1024)} KiB`, rounds },
    // A blob GET from Helm carries no Accept; its Go client adds Accept-Encoding.
    { ...load, headers: { 'Accept-Encoding': 'gzip' } },
    [ballastTarget(urls.ballastBlob), registryTarget(urls.registryBlob)],
    progress,
  );
  const after = await servers.upstreamRequests();
  if (after !== before) {
    throw new Error(`Ballast made ${after - before} upstream requests while it was measured`);
  }
  return [manifestCase, blobCase];
}
