/**
 * `node bench/replica-start-s3.ts [VERSIONS] [RUNS]`: how soon a new replica serves a large
 * index that another replica stored in the bucket (Ceph RGW on loopback), with no upstream
 * reachable: from spawning `ballast serve` (empty disk) to the first 200 of
 * `GET /r/index.yaml` with Helm's headers. The served form is read from the bucket, not
 * parsed. One line per run; the default is 100,000 versions, 3 runs.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { request } from 'undici';
import { writeSyntheticIndex } from '../test/support/classic-repo.ts';
import { httpRequest } from '../test/support/http.ts';
import { startRgw, startS3Replica } from '../test/support/rgw.ts';
import { startStaticServer } from '../test/support/static-server.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';
import { helmIndexHeaders } from './bench-setup.ts';
import { readProcessMemory } from './proc-stats.ts';

const [versionsText = '100000', runsText = '3'] = process.argv.slice(2);
const versions = Number(versionsText);
const log = (message: string) => process.stderr.write(`${message}\n`);
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(2);

const work = await tempDir('bench-replica-start');
await using rgw = await startRgw();
try {
  await mkdir(join(work, 'repo'));
  log(`writing a ${versions.toLocaleString('en-US')}-version index`);
  await writeSyntheticIndex(join(work, 'repo', 'index.yaml'), {
    charts: Math.max(3, Math.round(versions / 100)),
    versions,
  });
  const upstream = await startStaticServer({ root: join(work, 'repo') });
  const config = (url: string) => ({
    repos: [{ name: 'r', upstreams: [{ url }] }],
    limits: { indexSize: '256MiB' },
  });

  // The first replica fetches, parses and stores the index and its served form.
  const first = await startS3Replica(rgw, join(work, 'first'), config(upstream.url));
  const firstStarted = performance.now();
  const cold = await httpRequest(`${first.url}/r/index.yaml`, { headers: helmIndexHeaders });
  if (cold.status !== 200) throw new Error(`first replica answered ${cold.status}`);
  log(`first replica: index fetched and served after ${seconds(firstStarted)} s`);
  await untilCompressedFormsStored();
  await first.stop();
  await upstream.stop();

  for (let run = 1; run <= Number(runsText); run++) {
    const started = performance.now();
    const startedAt = Date.now();
    // The upstream URL now refuses connections: only the bucket can answer.
    await using replica = await startS3Replica(
      rgw,
      join(work, `replica-${run}`),
      config(upstream.url),
    );
    const listening = performance.now();
    const response = await request(`${replica.url}/r/index.yaml`, { headers: helmIndexHeaders });
    const answered = performance.now();
    if (response.statusCode !== 200) throw new Error(`new replica answered ${response.statusCode}`);
    let bytes = 0;
    for await (const chunk of response.body) bytes += (chunk as Buffer).length;
    if (bytes !== cold.body.length) throw new Error('a different index came back');
    const { rssBytes } = readProcessMemory(replica.process.pid);
    // Loading reads (and checks the digest of) the stored bodies from the bucket.
    const loaded = replica.logs().find((line) => line.msg === 'loaded the served index');
    const loadedAfter = loaded ? (Date.parse(String(loaded.time)) - startedAt) / 1000 : Number.NaN;
    process.stdout.write(
      `run ${run}: 200 of index.yaml ${((answered - started) / 1000).toFixed(2)} s after start, ` +
        `its last byte after ${seconds(started)} s ` +
        `(listening after ${((listening - started) / 1000).toFixed(2)} s, served form loaded after ` +
        `${loadedAfter.toFixed(2)} s), ${bytes} bytes, ` +
        `RSS ${(rssBytes / 2 ** 20).toFixed(0)} MiB\n`,
    );
  }
} finally {
  await removeDir(work);
}

/** A large index is compressed after it is first served; a new replica reads those forms too. */
async function untilCompressedFormsStored() {
  const client = rgw.client();
  try {
    for (const deadline = Date.now() + 120_000; Date.now() < deadline; ) {
      const listed = await client.send(
        new ListObjectsV2Command({ Bucket: rgw.bucket, Prefix: 'docs/repos/r/served-bodies/' }),
      );
      if (listed.Contents?.some((o) => o.Key?.endsWith('.br'))) return;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    throw new Error('the compressed forms were not stored within 120 s');
  } finally {
    client.destroy();
  }
}
