import { withFreePort } from '../test/support/ports.ts';
import { httpProbe, startProcess } from '../test/support/processes.ts';

export interface NodeHttpBaseline {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

const server = new URL('./node-http-server.ts', import.meta.url).pathname;

/**
 * Node's own HTTP server answering every request with one file's bytes from memory, in a
 * process of its own on the Node that runs the bench: no routing, store, metrics or logs.
 * What it serves per second is the most any server written for Node can reach on this
 * machine, so Ballast's figure next to it shows what Ballast itself costs.
 */
export function startNodeHttpBaseline(file: string): Promise<NodeHttpBaseline> {
  return withFreePort(async (port) => {
    const url = `http://127.0.0.1:${port}`;
    const child = await startProcess(process.execPath, [server, file, String(port)], {
      name: 'node:http baseline',
      ready: httpProbe(url, (res) => res.statusCode === 200),
    });
    return { url, pid: child.pid, stop: () => child.stop() };
  });
}
