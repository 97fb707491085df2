import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../test/support/http.ts';
import { type StaticServer, startStaticServer } from '../test/support/static-server.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';
import { type BallastUnderTest, startBallastUnderTest } from './ballast-under-test.ts';
import { type BenchRepo, writeBenchRepo } from './bench-repo.ts';
import { type NginxBaseline, startNginxBaseline } from './nginx-baseline.ts';
import { type NodeHttpBaseline, startNodeHttpBaseline } from './node-http-baseline.ts';
import {
  checkChartResponse,
  checkIdentityIndexResponse,
  checkIndexResponse,
} from './served-content-check.ts';

/** Exactly what Helm 3.17 and 4.1 send for index.yaml: no Accept-Encoding, no validators. */
export const helmIndexHeaders = { 'User-Agent': 'Helm/3.17.2' };

/** Ballast's identity index, written into the repo folder for nginx to serve from a file. */
const servedIndexFile = 'ballast-index.yaml';

export interface BenchServers {
  repo: BenchRepo;
  ballast: BallastUnderTest;
  /** `gzip on`: compresses the index per request. */
  nginxOnTheFly: NginxBaseline;
  /** `gzip_static on`: sends the precompressed index.yaml.gz. */
  nginxStatic: NginxBaseline;
  /** Node's bare HTTP server with the chart in memory: the ceiling for any Node server. */
  nodeHttp: NodeHttpBaseline;
  /** `servedIndex`: nginx's path to the same bytes Ballast serves as its identity index. */
  urls: { ballastIndex: string; ballastChart: string; servedIndex: string };
  /** Where `--profile` makes Ballast write its CPU profile. */
  profileDir?: string;
  /** Stops every server (Ballast first) and removes the scratch dir; safe to call twice. */
  close(): Promise<void>;
}

/**
 * Writes the repo folder, starts its upstream, Ballast mirroring it, the two nginx
 * baselines serving it and bare node:http serving the chart, warms Ballast (index parsed,
 * chart pulled through once) and checks that every server answers the right bytes.
 */
export async function startBenchServers(options: {
  versions: number;
  chartBytes: number;
  profile: boolean;
}): Promise<BenchServers> {
  const stops: (() => Promise<void>)[] = [];
  const work = await tempDir('bench');
  stops.push(() => removeDir(work));
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch(() => undefined);
    })();
    return closing;
  };
  try {
    const root = join(work, 'repo');
    await mkdir(root);
    const repo = await writeBenchRepo(root, {
      versions: options.versions,
      // About 100 versions per chart, like a busy real repository.
      charts: Math.max(1, Math.round(options.versions / 100)),
      chartBytes: options.chartBytes,
    });
    const upstream: StaticServer = await startStaticServer({ root });
    stops.push(() => upstream.stop());
    const profileDir = options.profile ? join(work, 'profile') : undefined;
    const ballast = await startBallastUnderTest({
      upstreamUrl: upstream.url,
      dir: work,
      ...(profileDir ? { cpuProfileDir: profileDir } : {}),
    });
    stops.push(() => ballast.stop());
    const nginxOnTheFly = await startNginxBaseline({ root, gzip: 'on-the-fly' });
    stops.push(() => nginxOnTheFly.stop());
    const nginxStatic = await startNginxBaseline({ root, gzip: 'static' });
    stops.push(() => nginxStatic.stop());
    const nodeHttp = await startNodeHttpBaseline(join(root, repo.chartFile));
    stops.push(() => nodeHttp.stop());

    const ballastIndex = `${ballast.url}${ballast.repoPath}/index.yaml`;
    const ballastChart = `${ballast.url}${ballast.repoPath}/charts/${repo.chartFile}`;
    // Ready does not mean the index is built yet: it may still be parsing the upstream's.
    await eventually(() => checkIndexResponse(ballastIndex, repo.chartFile).then(() => {}), 60_000);
    for (let i = 0; i < 2; i++) await checkChartResponse(ballastChart, repo.chartDigest);
    // The second request must have come from Ballast's store, or the bench measures the upstream.
    const fetches = upstream.requests.filter((r) => r.path === `/${repo.chartFile}`).length;
    if (fetches !== 1) throw new Error(`Ballast fetched the chart ${fetches} times, not once`);
    const identity = await checkIdentityIndexResponse(
      ballastIndex,
      helmIndexHeaders,
      repo.chartFile,
    );
    await writeFile(join(root, servedIndexFile), identity);
    const nginxIdentity = `${nginxOnTheFly.url}/${servedIndexFile}`;
    const same = await checkIdentityIndexResponse(nginxIdentity, helmIndexHeaders, repo.chartFile);
    if (!same.equals(identity)) throw new Error(`${nginxIdentity}: not Ballast's bytes`);
    for (const nginx of [nginxOnTheFly, nginxStatic]) {
      await checkIndexResponse(`${nginx.url}/index.yaml`, repo.chartFile);
      await checkChartResponse(`${nginx.url}/${repo.chartFile}`, repo.chartDigest);
    }
    await checkChartResponse(`${nodeHttp.url}/${repo.chartFile}`, repo.chartDigest);
    return {
      repo,
      ballast,
      nginxOnTheFly,
      nginxStatic,
      nodeHttp,
      urls: { ballastIndex, ballastChart, servedIndex: `/${servedIndexFile}` },
      ...(profileDir ? { profileDir } : {}),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
