// `node bench/memory-per-version.ts`: Ballast's resident memory with one repository whose index
// holds 0, 10,000, 50,000 and 100,000 versions, once the index is served, so that
// docs/operations.md can size pods per 10,000 indexed versions. Each size runs in a fresh process.
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBallastProcess } from '../test/support/ballast.ts';
import { writeSyntheticIndex } from '../test/support/classic-repo.ts';
import { httpRequest } from '../test/support/http.ts';
import { startStaticServer } from '../test/support/static-server.ts';
import { readBallastMemory } from './ballast-memory.ts';

const sizes = [0, 10_000, 50_000, 100_000];
const work = await mkdtemp(join(tmpdir(), 'ballast-memory-per-version-'));
const mib = (bytes: number) => (bytes / 1024 / 1024).toFixed(1);
try {
  // A first start fills Node's compile cache, as any earlier start of a deployment does.
  await (await startBallastProcess({})).stop();
  console.log('versions  rss MiB  peak MiB  heap used MiB');
  for (const versions of sizes) {
    const root = join(work, `upstream-${versions}`);
    await mkdir(root);
    if (versions > 0)
      await writeSyntheticIndex(join(root, 'index.yaml'), { charts: versions / 50, versions });
    await using upstream = await startStaticServer({ root });
    const repos = versions > 0 ? [{ name: 'big', upstreams: [{ url: upstream.url }] }] : [];
    await using ballast = await startBallastProcess({ repos });
    for (let i = 0; i < 20 && versions > 0; i++) {
      const response = await httpRequest(`${ballast.url}/big/index.yaml`, {
        headers: { 'accept-encoding': 'gzip' },
      });
      if (response.status !== 200) throw new Error(`index answered ${response.status}`);
    }
    const memory = await readBallastMemory(ballast.process.pid, ballast.url);
    console.log(
      `${String(versions).padStart(8)}  ${mib(memory.rssBytes).padStart(7)}  ${mib(memory.peakRssBytes).padStart(8)}  ${mib(memory.heapUsedBytes).padStart(13)}`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
