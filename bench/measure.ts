import { machineBusyCpuSeconds, processCpuSeconds } from './proc-stats.ts';
import { type LoadResult, runWrk } from './wrk.ts';

/** One server answering one URL. */
export interface Target {
  /** e.g. `ballast`, `nginx gzip on`. */
  server: string;
  url: string;
  /** The server's processes, to account for the CPU it used (read at measurement time). */
  pids(): number[];
}

export interface LoadShape {
  durationSec: number;
  warmupSec: number;
  connections: number;
  threads: number;
  headers: Record<string, string>;
}

export interface Measurement {
  server: string;
  url: string;
  load: LoadResult;
  /** Cores the server's processes kept busy on average during the measured run. */
  serverCpuCores: number;
  /**
   * Server CPU time per request, in µs: unlike requests per second, it hardly moves when
   * something else on the machine competes for the cores.
   */
  serverCpuMicrosPerRequest: number;
  /** Cores the whole machine kept busy (server, wrk and anything else). */
  machineCpuCores: number;
}

/** Warms the target with unmeasured load, then measures it with wrk and CPU accounting. */
export async function measure(target: Target, shape: LoadShape): Promise<Measurement> {
  const load = {
    url: target.url,
    headers: shape.headers,
    connections: shape.connections,
    threads: shape.threads,
  };
  if (shape.warmupSec > 0) await runWrk({ ...load, durationSec: shape.warmupSec });
  const pids = target.pids();
  const serverCpu = () => pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
  const before = { server: serverCpu(), machine: machineBusyCpuSeconds(), at: performance.now() };
  const result = await runWrk({ ...load, durationSec: shape.durationSec });
  const wallSec = (performance.now() - before.at) / 1000;
  const serverCpuSec = serverCpu() - before.server;
  return {
    server: target.server,
    url: target.url,
    load: result,
    serverCpuCores: serverCpuSec / wallSec,
    serverCpuMicrosPerRequest: (serverCpuSec * 1e6) / result.requests,
    machineCpuCores: (machineBusyCpuSeconds() - before.machine) / wallSec,
  };
}

/** The measurement with the median requests per second (the lower middle of an even count). */
export function medianMeasurement(samples: readonly Measurement[]): Measurement {
  const sorted = [...samples].sort((a, b) => a.load.requestsPerSec - b.load.requestsPerSec);
  const middle = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!middle) throw new Error('no measurements');
  return middle;
}

export interface CaseResult {
  /** `index` or `chart`. */
  id: string;
  title: string;
  /** Median measurement per server, Ballast first. */
  medians: Measurement[];
  /** Every round, per server. */
  samples: Record<string, Measurement[]>;
}

/** Measures every target `rounds` times, alternating the order so drift favours no one. */
export async function runCase(
  caseInfo: { id: string; title: string; rounds: number },
  shape: LoadShape,
  targets: readonly Target[],
  progress: (message: string) => void,
): Promise<CaseResult> {
  const { id, title, rounds } = caseInfo;
  const samples: Record<string, Measurement[]> = {};
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) {
      const result = await measure(target, shape);
      samples[target.server] = [...(samples[target.server] ?? []), result];
      const rate = result.load.requestsPerSec.toFixed(0);
      progress(`${id} round ${round + 1}/${rounds}: ${target.server} ${rate} req/s`);
    }
  }
  const medians = targets.map((target) => medianMeasurement(samples[target.server] ?? []));
  return { id, title, medians, samples };
}
