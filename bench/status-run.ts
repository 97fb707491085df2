import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticIndex } from '../test/support/classic-repo.ts';
import { httpRequest, metricValue } from '../test/support/http.ts';
import { startNginx } from '../test/support/nginx.ts';
import { type BallastUnderTest, startBallastUnderTest } from './ballast-under-test.ts';
import { processCpuSeconds } from './proc-stats.ts';
import { runWrk } from './wrk.ts';

/**
 * `npm run bench:status`: the status page and `/-/status` of a Ballast mirroring many large
 * repositories (100 × 10,000 charts by default, each from Debian's nginx) while every
 * upstream is probed, and what the probes cost in CPU: the same store served once without
 * probes and once with them, each left idle for the same window.
 */
const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '100' },
    charts: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '10' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '2' },
    'cpu-window': { type: 'string', default: '30' },
  },
});
const repos = Number(values.repos);
const charts = Number(values.charts);
const durationSec = Number(values.duration);
const connections = Number(values.connections);
const cpuWindowSec = Number(values['cpu-window']);
const intervalSec = Number(values.interval);

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
const start = (probes: Record<string, unknown>) =>
  startBallastUnderTest({
    upstreamUrl: nginx.url,
    dir,
    repos: names.map((name) => ({
      name,
      upstreams: [{ url: `${nginx.url}/${name}/` }],
      refresh: '1h',
    })),
    extraConfig: { probes },
    readyTimeoutMs: 600_000,
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

let ballast: BallastUnderTest | undefined;
try {
  // Phase 1, no probes: every index fetched once, one after the other (a hundred 6 MB builds
  // at once do not fit in the fetch deadline on a small machine), then the idle baseline.
  ballast = await start({ enabled: false });
  for (const name of names) {
    const url = `${ballast.url}/${name}/index.yaml`;
    await waitFor(`the index of ${name}`, async () => {
      const response = await httpRequest(url, { headers: { 'accept-encoding': 'gzip' } });
      return response.status === 200;
    });
  }
  const baselineCpu = await idleCpu(ballast);
  await ballast.stop();

  // Phase 2, the same store with probes: indexes load from the store at start.
  ballast = await start({ interval: `${intervalSec}s` });
  const url = ballast.url;
  const probes = () => metricValue(url, 'ballast_probes_total');
  // Two rounds: the second is the steady state (a conditional GET answered 304).
  await waitFor('two rounds of probes', async () => (await probes()) >= 2 * repos);
  const sizes = {
    page: (await httpRequest(`${url}/`)).body.length,
    status: (await httpRequest(`${url}/-/status`)).body.length,
  };
  const latencyMs: Record<string, unknown> = {};
  for (const path of ['/', '/-/status']) {
    const load = { url: `${url}${path}`, connections, threads: 1 };
    await runWrk({ ...load, durationSec: 1 });
    const result = await runWrk({ ...load, durationSec });
    latencyMs[path] = { requestsPerSec: Math.round(result.requestsPerSec), ...result.latencyMs };
  }
  const probesBefore = await probes();
  const probedCpu = await idleCpu(ballast);
  const probed = (await probes()) - probesBefore;
  const cpuPerProbeMs = (Math.max(0, probedCpu - baselineCpu) / probed) * 1000;
  const report = {
    repos,
    chartsPerRepo: charts,
    probeIntervalSec: intervalSec,
    connections,
    bytes: sizes,
    latencyMs,
    cpu: {
      windowSec: cpuWindowSec,
      idleWithoutProbesSec: Number(baselineCpu.toFixed(3)),
      idleWithProbesSec: Number(probedCpu.toFixed(3)),
      probes: probed,
      cpuPerProbeMs: Number(cpuPerProbeMs.toFixed(2)),
      /** 100 upstreams probed every minute, as a share of one core. */
      shareAt1mFor100Upstreams: `${((100 * cpuPerProbeMs) / 60_000) * 100}`.slice(0, 5),
    },
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await ballast?.stop();
  await nginx.stop();
  await rm(dir, { recursive: true, force: true });
}
