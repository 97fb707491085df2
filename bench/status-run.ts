import { link, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeSyntheticIndex } from '../test/support/classic-repo.ts';
import { httpRequest, metricValue } from '../test/support/http.ts';
import { startNginx } from '../test/support/nginx.ts';
import { startBallastUnderTest } from './ballast-under-test.ts';
import { processCpuSeconds } from './proc-stats.ts';
import { runWrk } from './wrk.ts';

/**
 * `npm run bench:status`: the status page and `/-/status` of a Ballast mirroring many large
 * repositories (100 × 10,000 charts by default, each from Debian's nginx) while every
 * upstream is probed, and what the probes cost in CPU.
 */
const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '100' },
    charts: { type: 'string', default: '10000' },
    interval: { type: 'string', default: '10s' },
    duration: { type: 'string', default: '10' },
    'cpu-window': { type: 'string', default: '30' },
  },
});
const repos = Number(values.repos);
const charts = Number(values.charts);
const durationSec = Number(values.duration);
const cpuWindowSec = Number(values['cpu-window']);
const intervalSec = Number.parseInt(values.interval, 10);

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
const ballast = await startBallastUnderTest({
  upstreamUrl: nginx.url,
  dir,
  repos: names.map((name) => ({
    name,
    upstreams: [{ url: `${nginx.url}/${name}/` }],
    refresh: '1h',
  })),
  extraConfig: { probes: { interval: `${intervalSec}s` } },
  readyTimeoutMs: 600_000,
});
const stop = async () => {
  await ballast.stop();
  await nginx.stop();
  await rm(dir, { recursive: true, force: true });
};

try {
  const probes = () => metricValue(ballast.url, 'ballast_probes_total');
  // Every repository's index in memory, and two rounds of probes: the second is the steady
  // state (a conditional GET answered 304), which is what a running Ballast pays.
  const deadline = Date.now() + 900_000;
  for (;;) {
    const status = JSON.parse((await httpRequest(`${ballast.url}/-/status`)).body.toString()) as {
      repos: Array<{ index: { versions: number } }>;
    };
    const loaded = status.repos.filter((r) => r.index.versions === charts).length;
    if (loaded === repos && (await probes()) >= 2 * repos) break;
    if (Date.now() > deadline) throw new Error(`only ${loaded} of ${repos} repositories loaded`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }

  const sizes = {
    page: (await httpRequest(`${ballast.url}/`)).body.length,
    status: (await httpRequest(`${ballast.url}/-/status`)).body.length,
  };
  const latency: Record<string, unknown> = {};
  for (const path of ['/', '/-/status']) {
    await runWrk({ url: `${ballast.url}${path}`, durationSec: 1, connections: 8, threads: 1 });
    const result = await runWrk({
      url: `${ballast.url}${path}`,
      durationSec,
      connections: 8,
      threads: 1,
    });
    latency[path] = { requestsPerSec: Math.round(result.requestsPerSec), ...result.latencyMs };
  }

  // No client load: what the process spends while probes run, per probe.
  const cpuBefore = processCpuSeconds(ballast.pid);
  const probesBefore = await probes();
  await new Promise((resolve) => setTimeout(resolve, cpuWindowSec * 1000));
  const cpu = processCpuSeconds(ballast.pid) - cpuBefore;
  const probed = (await probes()) - probesBefore;
  const cpuPerProbeMs = (cpu / probed) * 1000;
  const report = {
    repos,
    chartsPerRepo: charts,
    probeIntervalSec: intervalSec,
    bytes: sizes,
    latencyMs: latency,
    probes: {
      windowSec: cpuWindowSec,
      probes: probed,
      cpuSeconds: Number(cpu.toFixed(3)),
      // Everything the idle process spent, divided by the probes: an upper bound.
      cpuPerProbeMs: Number(cpuPerProbeMs.toFixed(2)),
      cpuShareAt1mFor100Upstreams: `${((100 * cpuPerProbeMs) / 60_000) * 100}`.slice(0, 5),
    },
  };
  console.log(JSON.stringify(report, null, 2));
} finally {
  await stop();
}
