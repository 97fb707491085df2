import { createHash, randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { peerBinary } from './debian-peers.ts';
import { withFreePort } from './ports.ts';
import { httpProbe, type RunningProcess, startProcess } from './processes.ts';
import { removeDir, tempDir } from './temp-dir.ts';

export interface Registry {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `127.0.0.1:PORT`, as in `oci://127.0.0.1:PORT/charts` (use `--plain-http`). */
  host: string;
  port: number;
  /** Where the registry keeps its blobs and manifests. */
  rootDirectory: string;
  /** Stops the registry process and keeps its data, as an outage would. */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  resume(): Promise<void>;
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
      const run = () =>
        startProcess(binary, ['serve', config], {
          // Our id in a header tells our registry from another that took the port meanwhile.
          ready: httpProbe(`${url}/v2/`, (res) => res.headers['x-ballast-registry'] === id),
        });
      let registry: RunningProcess | undefined = await run();
      const pause = async () => {
        await registry?.stop();
        registry = undefined;
      };
      const stop = async () => {
        await pause();
        await removeDir(dir);
      };
      return {
        url,
        host: `127.0.0.1:${port}`,
        port,
        rootDirectory,
        pause,
        async resume() {
          registry ??= await run();
        },
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

const digest = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;

/**
 * Pushes a Helm-shaped OCI manifest (chart `demo`, its layer not a real chart) with the
 * Distribution API, as `helm push` does: enough for tag lists and manifests, in milliseconds.
 */
export async function pushTestChart(
  registry: Registry,
  repository: string,
  tag: string,
): Promise<void> {
  const upload = async (body: Buffer) => {
    const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
    });
    if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
    const location = new URL(start.headers.get('location') ?? '', registry.url);
    location.searchParams.set('digest', digest(body));
    const put = await fetch(location, {
      method: 'PUT',
      body,
      headers: { 'content-type': 'application/octet-stream' },
    });
    if (put.status !== 201) throw new Error(`${put.status}: ${await put.text()}`);
    return { digest: digest(body), size: body.length };
  };
  const config = await upload(
    Buffer.from(JSON.stringify({ name: 'demo', version: tag.replace('_', '+'), apiVersion: 'v2' })),
  );
  const layer = await upload(Buffer.from(`not really a chart ${tag}`));
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.cncf.helm.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.cncf.helm.chart.content.v1.tar+gzip', ...layer }],
  };
  const put = await fetch(`${registry.url}/v2/${repository}/manifests/${tag}`, {
    method: 'PUT',
    body: JSON.stringify(manifest),
    headers: { 'content-type': manifest.mediaType },
  });
  if (put.status !== 201) throw new Error(`${put.status}: ${await put.text()}`);
}
