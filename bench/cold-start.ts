/**
 * `node bench/cold-start.ts INDEX_FILE [RUNS]`: how long a fresh Ballast (empty store) takes
 * from its start to the first `GET /r/index.yaml` answered for an upstream serving
 * INDEX_FILE (split into start-up and the index itself), and its resident memory once that
 * index is served. One line per run.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startBallastProcess } from '../test/support/ballast.ts';
import { httpRequest } from '../test/support/http.ts';
import { startStaticServer } from '../test/support/static-server.ts';
import { readProcessMemory } from './proc-stats.ts';

const [file, runsText = '3'] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: node bench/cold-start.ts INDEX_FILE [RUNS]\n');
  process.exit(2);
}
const root = await mkdtemp(join(tmpdir(), 'ballast-cold-'));
try {
  await copyFile(resolve(file), join(root, 'index.yaml'));
  await using upstream = await startStaticServer({ root });
  for (let run = 1; run <= Number(runsText); run++) {
    const started = performance.now();
    await using ballast = await startBallastProcess({
      repos: [{ name: 'r', upstreams: [{ url: upstream.url }] }],
    });
    const serving = performance.now();
    const response = await httpRequest(`${ballast.url}/r/index.yaml`, {
      headers: { 'user-agent': 'Helm/3.17.2' },
    });
    const seconds = (performance.now() - started) / 1000;
    if (response.status !== 200) throw new Error(`index answered ${response.status}`);
    const { rssBytes } = readProcessMemory(ballast.process.pid);
    process.stdout.write(
      `run ${run}: first index after ${seconds.toFixed(2)} s (${((serving - started) / 1000).toFixed(2)} s to start, ${((performance.now() - serving) / 1000).toFixed(2)} s to the index), RSS ${(rssBytes / 2 ** 20).toFixed(0)} MiB, ${response.body.length} bytes\n`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
