import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { peerBinary } from './debian-peers.ts';
import { withFreePort } from './ports.ts';
import { httpProbe, startProcess } from './processes.ts';
import { removeDir, tempDir } from './temp-dir.ts';

export interface Registry {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, as in `oci://127.0.0.1:PORT/charts` (use `--plain-http`). */
  host: string;
  port: number;
  /** Where the registry keeps its blobs and manifests. */
  rootDirectory: string;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Debian's reference OCI registry (distribution 2.8) on 127.0.0.1, storing in a temp dir. */
export async function startRegistry(): Promise<Registry> {
  const binary = peerBinary('registry');
  const dir = await tempDir('registry');
  const rootDirectory = join(dir, 'data');
  try {
    return await withFreePort(async (port) => {
      const config = join(dir, 'config.yml');
      const id = randomUUID();
      await writeFile(config, registryConfig(rootDirectory, port, id));
      const url = `http://127.0.0.1:${port}`;
      const registry = await startProcess(binary, ['serve', config], {
        // Our id in a header tells our registry from another that took the port meanwhile.
        ready: httpProbe(`${url}/v2/`, (res) => res.headers['x-ballast-registry'] === id),
      });
      const stop = async () => {
        await registry.stop();
        await removeDir(dir);
      };
      return {
        url,
        host: `127.0.0.1:${port}`,
        port,
        rootDirectory,
        stop,
        [Symbol.asyncDispose]: stop,
      };
    });
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
}

function registryConfig(rootDirectory: string, port: number, id: string): string {
  return `version: 0.1
log:
  level: warn
  accesslog: { disabled: true }
storage:
  filesystem: { rootdirectory: ${JSON.stringify(rootDirectory)} }
  delete: { enabled: true }
  maintenance: { uploadpurging: { enabled: false } }
http:
  addr: 127.0.0.1:${port}
  secret: ballast-test-secret
  headers: { X-Ballast-Registry: [${id}] }
`;
}
