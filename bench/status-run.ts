import { link, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticIndex } from '../test/support/classic-repo.ts';
import { httpRequest, metricValue } from '../test/support/http.ts';
import { startNginx } from '../test/support/nginx.ts';
import { type BallastUnderTest, startBallastUnderTest } from './ballast-under-test.ts';
import { formatProfileSummary, summariseProfileFile } from './cpu-profile-summary.ts';
import { processCpuSeconds } from './proc-stats.ts';
import { copyStoredRepo } from './stored-repo-copies.ts';
import { runWrk } from './wrk.ts';

/**
 * `npm run bench:status`: the status page and `/-/status` of a Ballast mirroring many large
 * repositories (100 × 10,000 charts by default, all served by one Debian nginx) while every
 * upstream is probed, next to nginx serving static files of the same sizes; and what the
 * probes cost in CPU: the same store served once without probes and once with them, each
 * left idle for the same window. Ballast builds the first repository's index; the others
 * are copies of it in the store (bench/stored-repo-copies.ts), restored at start.
 */
const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '100' },
    charts: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '2' },
    'cpu-window': { type: 'string', default: '30' },
    /** Write a V8 CPU profile of the probed Ballast into this directory and summarise it. */
    profile: { type: 'string' },
  },
});
const repos = Number(values.repos);
const charts = Number(values.charts);
const durationSec = Number(values.duration);
const connections = Number(values.connections);
const cpuWindowSec = Number(values['cpu-window']);
const intervalSec = Number(values.interval);
const setupStarted = Date.now();

const dir = await mkdtemp(join(tmpdir(), 'ballast-bench-status-'));
const www = join(dir, 'www');
await mkdir(www);
const index = join(dir, 'index.yaml');
await writeSyntheticIndex(index, { charts, versions: charts });
const names = Array.from({ length: repos }, (_, i) => `r${String(i).padStart(3, '0')}`);
for (const name of names) {
  await mkdir(join(www, name));
  await link(index, join(www, name, 'index.yaml'));
}
const nginx = await startNginx({ root: www });
const upstreamOf = (name: string) => `${nginx.url}/${name}/`;
const start = (which: readonly string[], probes: Record<string, unknown>, cpuProfileDir?: string) =>
  startBallastUnderTest({
    upstreamUrl: nginx.url,
    dir,
    repos: which.map((name) => ({ name, upstreams: [{ url: upstreamOf(name) }], refresh: '1h' })),
    extraConfig: { probes },
    readyTimeoutMs: 600_000,
    ...(cpuProfileDir ? { cpuProfileDir } : {}),
  });

const deadline = Date.now() + 1_800_000;
async function waitFor(what: string, done: () => Promise<boolean>): Promise<void> {
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

/** CPU seconds the process spends over the window with no client load. */
async function idleCpu(ballast: BallastUnderTest): Promise<number> {
  const before = processCpuSeconds(ballast.pid);
  await new Promise((resolve) => setTimeout(resolve, cpuWindowSec * 1000));
  return processCpuSeconds(ballast.pid) - before;
}

/** wrk against one URL: 1 s of warm-up, then the measurement. */
async function latency(url: string) {
  const load = { url, connections, threads: 1 };
  await runWrk({ ...load, durationSec: 1 });
  const result = await runWrk({ ...load, durationSec });
  return { requestsPerSec: Math.round(result.requestsPerSec), ...result.latencyMs };
}

let ballast: BallastUnderTest | undefined;
try {
  // Ballast fetches and builds the first index; the others are copies of it in the store.
  const [first = 'r000', ...others] = names;
  ballast = await start([first], { enabled: false });
  const firstIndex = `${ballast.url}/${first}/index.yaml`;
  await waitFor(
    `the index of ${first}`,
    async () => (await httpRequest(firstIndex)).status === 200,
  );
  await ballast.stop();
  const source = { name: first, upstreamUrl: upstreamOf(first) };
  const copies = others.map((name) => ({ name, upstreamUrl: upstreamOf(name) }));
  await copyStoredRepo(join(dir, 'data'), source, copies);

  // Phase 1, no probes: the idle baseline (ready once every stored index is loaded).
  ballast = await start(names, { enabled: false });
  const versions = await metricValue(ballast.url, 'ballast_index_versions');
  if (versions !== repos * charts)
    throw new Error(`${versions} versions loaded, expected ${repos * charts}`);
  const setupSec = Math.round((Date.now() - setupStarted) / 1000);
  const baselineCpu = await idleCpu(ballast);
  await ballast.stop();

  // Phase 2, the same store with probes.
  const profileDir = values.profile;
  ballast = await start(names, { interval: `${intervalSec}s` }, profileDir);
  const url = ballast.url;
  const probes = () => metricValue(url, 'ballast_probes_total');
  await waitFor('two rounds of probes', async () => (await probes()) >= 2 * repos);
  const page = (await httpRequest(`${url}/`)).body;
  const status = (await httpRequest(`${url}/-/status`)).body;
  // Static files of the same sizes, from the same nginx: what serving those bytes costs here.
  await writeFile(join(www, 'page.html'), page);
  await writeFile(join(www, 'status.json'), status);
  const routes = [
    { path: '/', file: '/page.html' },
    { path: '/-/status', file: '/status.json' },
  ];
  const latencyMs: Record<string, unknown> = {};
  for (const { path, file } of routes) {
    const served = await latency(`${url}${path}`);
    const nginxStatic = await latency(`${nginx.url}${file}`);
    latencyMs[path] = {
      ballast: served,
      nginxStaticFile: nginxStatic,
      p99Ratio: Number((served.p99 / nginxStatic.p99).toFixed(2)),
    };
  }
  const probesBefore = await probes();
  const probedCpu = await idleCpu(ballast);
  const probed = (await probes()) - probesBefore;
  const cpuPerProbeMs = (Math.max(0, probedCpu - baselineCpu) / probed) * 1000;
  const report = {
    repos,
    chartsPerRepo: charts,
    setupSec,
    probeIntervalSec: intervalSec,
    connections,
    durationSec,
    loadAverage: loadavg().map((n) => Number(n.toFixed(2))),
    bytes: { page: page.length, status: status.length },
    latencyMs,
    cpu: {
      windowSec: cpuWindowSec,
      idleWithoutProbesSec: Number(baselineCpu.toFixed(3)),
      idleWithProbesSec: Number(probedCpu.toFixed(3)),
      probes: probed,
      cpuPerProbeMs: Number(cpuPerProbeMs.toFixed(2)),
      /** 100 upstreams probed every minute, as a share of one core. */
      shareAt1mFor100Upstreams: `${(((100 * cpuPerProbeMs) / 60_000) * 100).toFixed(3)} %`,
    },
  };
  console.log(JSON.stringify(report, null, 2));
  await ballast.stop();
  ballast = undefined;
  if (profileDir) {
    for (const file of (await readdir(profileDir)).filter((f) => f.endsWith('.cpuprofile')))
      console.log(formatProfileSummary(await summariseProfileFile(join(profileDir, file), 25)));
  }
} finally {
  await ballast?.stop();
  await nginx.stop();
  await rm(dir, { recursive: true, force: true });
}
