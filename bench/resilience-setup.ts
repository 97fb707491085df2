import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Blackhole,
  type FaultUpstream,
  startBlackhole,
  startFaultUpstream,
} from '../test/support/fault-upstream.ts';
import { withFreePort } from '../test/support/ports.ts';
import { httpProbe, startProcess } from '../test/support/processes.ts';

const entry = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));

/** How an upstream behaves: serves, refuses connections, or accepts them and never answers. */
export type UpstreamState = 'healthy' | 'down' | 'blackholed';

export interface SwitchableUpstream {
  url: string;
  readonly state: UpstreamState;
  /** Requests the healthy server answered (a blackhole answers none). */
  readonly served: number;
  set(state: UpstreamState): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A classic upstream serving `root` on one loopback port whose state can be switched: `down`
 * closes the port (connections refused), `blackholed` puts a TCP server on the same port that
 * accepts and never sends a byte, as a dead host behind a load balancer does.
 */
export async function startSwitchableUpstream(root: string): Promise<SwitchableUpstream> {
  const server: FaultUpstream = await startFaultUpstream({ root });
  let blackhole: Blackhole | undefined;
  let state: UpstreamState = 'healthy';
  const set = async (next: UpstreamState) => {
    await blackhole?.stop();
    blackhole = undefined;
    if (next === 'healthy') await server.up();
    else await server.down();
    if (next === 'blackholed') blackhole = await startBlackhole({ port: server.port });
    state = next;
  };
  return {
    url: server.url,
    get state() {
      return state;
    },
    get served() {
      return server.requests.length;
    },
    set,
    async stop() {
      await blackhole?.stop();
      await server.stop();
    },
  };
}

export interface BenchBallast {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * The real CLI, `ballast serve`, mirroring repo `bench` from the given upstreams in order,
 * with the resilience defaults (deadline 30 s, retries, breakers, hedging) and `log.level: warn`.
 */
export async function startBenchBallast(options: {
  upstreams: string[];
  dir: string;
  refresh: string;
}): Promise<BenchBallast> {
  const configFile = join(options.dir, 'ballast.yaml');
  return withFreePort(async (port) => {
    const config = {
      listen: `127.0.0.1:${port}`,
      log: { level: 'warn' },
      storage: { fs: { path: join(options.dir, 'data') } },
      repos: [
        {
          name: 'bench',
          upstreams: options.upstreams.map((url) => ({ url })),
          refresh: options.refresh,
        },
      ],
      // What a client sees is measured, not probe traffic to the failing upstreams.
      probes: { enabled: false },
    };
    await writeFile(configFile, JSON.stringify(config, null, 2));
    const url = `http://127.0.0.1:${port}`;
    const child = await startProcess(process.execPath, [entry, 'serve', '--config', configFile], {
      name: 'ballast',
      ready: httpProbe(`${url}/-/readyz`, (res) => res.statusCode === 200),
      readyTimeoutMs: 30_000,
    });
    return { url, pid: child.pid, stop: () => child.stop() };
  });
}
