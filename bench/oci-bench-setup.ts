import { dirname, join } from 'node:path';
import { peerBinary } from '../test/support/debian-peers.ts';
import { createHelm } from '../test/support/helm.ts';
import { eventually, metricValue } from '../test/support/http.ts';
import { helmPushAll } from '../test/support/oci-sources.ts';
import { type Registry, startRegistry } from '../test/support/registry.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';
import { type BallastUnderTest, startBallastUnderTest } from './ballast-under-test.ts';
import { type HelmPackagedChart, packageBenchChart } from './helm-packaged-chart.ts';
import { findProcessByCommandLine } from './proc-stats.ts';
import {
  checkBlobResponse,
  checkManifestResponse,
  type ManifestAnswer,
} from './served-content-check.ts';

/** What Helm asks for; the registry and Ballast both answer it with the pushed manifest. */
export const ociManifestHeaders = {
  Accept: 'application/vnd.oci.image.manifest.v1+json',
  // What Helm's Go HTTP client sends by itself.
  'Accept-Encoding': 'gzip',
};

/** The namespace the chart is pushed into: `oci://127.0.0.1:PORT/charts/<chart>`. */
const namespace = 'charts';

export interface OciBenchServers {
  chart: HelmPackagedChart & { tag: string };
  manifest: { digest: string; bytes: number; mediaType: string; layerDigest: string };
  registry: Registry & { pid: number };
  ballast: BallastUnderTest;
  urls: {
    ballastManifest: string;
    registryManifest: string;
    ballastBlob: string;
    registryBlob: string;
  };
  /** Requests Ballast has made to the registry so far, from its `/metrics`. */
  upstreamRequests(): Promise<number>;
  /** Where `--profile` makes Ballast write its CPU profile. */
  profileDir?: string;
  /** Stops Ballast, then the registry, and removes the scratch dir; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Debian's reference registry holding one chart that real `helm package` made and real
 * `helm push` pushed, and Ballast mirroring that registry as an OCI upstream. Ballast is warmed
 * (manifest and chart layer pulled through once) and every answer is checked: the manifest
 * byte for byte and by digest against the registry's, the layer by the archive's sha256.
 */
export async function startOciBenchServers(options: {
  chartBytes: number;
  profile: boolean;
}): Promise<OciBenchServers> {
  const stops: (() => Promise<void>)[] = [];
  const work = await tempDir('bench-oci');
  stops.push(() => removeDir(work));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    })();
    return closing;
  };
  try {
    const started = await startRegistry();
    stops.push(() => started.stop());
    // The harness does not hand out the registry's pid; its command line names its own config.
    const config = join(dirname(started.rootDirectory), 'config.yml');
    const pid = findProcessByCommandLine([peerBinary('registry'), 'serve', config]);
    if (pid === undefined) throw new Error(`no registry process runs with ${config}`);
    const registry = Object.assign(started, { pid });

    const packaged = await (async () => {
      await using helm = await createHelm(4);
      return packageBenchChart(helm, join(work, 'chart'), {
        name: 'bench-chart',
        version: '1.0.0',
        targetBytes: options.chartBytes,
      });
    })();
    await helmPushAll(registry.host, namespace, [packaged.path]);
    const chart = { ...packaged, tag: packaged.version };

    const profileDir = options.profile ? join(work, 'profile') : undefined;
    const ballast = await startBallastUnderTest({
      upstreamUrl: `oci://${registry.host}/${namespace}`,
      plainHttp: true,
      charts: [chart.name],
      dir: work,
      ...(profileDir ? { cpuProfileDir: profileDir } : {}),
    });
    stops.push(() => ballast.stop());

    const registryRepo = `${registry.url}/v2/${namespace}/${chart.name}`;
    const ballastRepo = `${ballast.url}/v2${ballast.repoPath}/${chart.name}`;
    const urls = {
      registryManifest: `${registryRepo}/manifests/${chart.tag}`,
      registryBlob: `${registryRepo}/blobs/${chart.digest}`,
      ballastManifest: `${ballastRepo}/manifests/${chart.tag}`,
      ballastBlob: `${ballastRepo}/blobs/${chart.digest}`,
    };
    const fromRegistry = await checkManifestResponse(urls.registryManifest, ociManifestHeaders);
    if (fromRegistry.layerDigest !== chart.digest) {
      throw new Error(
        `the registry's chart layer is ${fromRegistry.layerDigest}, not ${chart.digest}`,
      );
    }
    await checkBlobResponse(urls.registryBlob, chart.digest);

    const upstreamRequests = () => metricValue(ballast.url, 'ballast_upstream_requests_total');
    // Ready does not mean the index is built yet: it may still be listing the registry's tags.
    await eventually(
      () => checkManifestResponse(urls.ballastManifest, ociManifestHeaders).then(() => {}),
      60_000,
    );
    await checkBlobResponse(urls.ballastBlob, chart.digest);
    // Warm now: a second pull of both must not reach the registry, or the bench measures it.
    const warm = await upstreamRequests();
    const fromBallast = await checkManifestResponse(urls.ballastManifest, ociManifestHeaders);
    await checkBlobResponse(urls.ballastBlob, chart.digest);
    const after = await upstreamRequests();
    if (after !== warm)
      throw new Error(`warm Ballast still made ${after - warm} upstream requests`);
    sameManifest(fromBallast, fromRegistry);
    return {
      chart,
      manifest: {
        digest: fromRegistry.digest,
        bytes: fromRegistry.body.length,
        mediaType: fromRegistry.contentType,
        layerDigest: fromRegistry.layerDigest,
      },
      registry,
      ballast,
      urls,
      upstreamRequests,
      ...(profileDir ? { profileDir } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Ballast must serve the upstream's manifest byte for byte, so signatures made there verify. */
function sameManifest(ballast: ManifestAnswer, registry: ManifestAnswer): void {
  if (!ballast.body.equals(registry.body) || ballast.digest !== registry.digest) {
    throw new Error(
      `Ballast's manifest (${ballast.digest}) differs from the registry's (${registry.digest})`,
    );
  }
  if (ballast.contentType !== registry.contentType) {
    throw new Error(
      `Ballast's manifest is ${ballast.contentType}, the registry's ${registry.contentType}`,
    );
  }
}
