import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { writeSeededFile } from './support/seeded-bytes.ts';
import { storeSnapshot, tmpFiles } from './support/store-snapshot.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// A release binary far bigger than Ballast could hold in memory streams from the upstream to
// the store, is verified against its checksum file before it is committed, and then streams
// to the client; a client that hangs up midway leaves nothing half-written.

const size = 200 * 1024 * 1024;
const name = 'big-v1.0.0-linux-amd64.tar.gz';
const MiB = 1024 * 1024;

/** A download server that sends at most `rate` bytes per second (Infinity: as fast as it can). */
async function startThrottledServer(root: string) {
  const state = { rate: Number.POSITIVE_INFINITY, bodiesCut: 0, bodiesSent: 0 };
  const server: Server = createServer(async (req, res) => {
    const file = join(root, decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const info = await stat(file).catch(() => undefined);
    if (!file.startsWith(root) || !info?.isFile()) return res.writeHead(404).end();
    res.writeHead(200, { 'content-length': info.size });
    let closed = false;
    res.on('close', () => {
      closed = true;
      if (!res.writableFinished) state.bodiesCut += 1;
    });
    const started = performance.now();
    let sent = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 256 * 1024 })) {
      if (closed) break;
      if (!res.write(chunk)) await once(res, 'drain').catch(() => {});
      sent += (chunk as Buffer).length;
      const due = (sent / state.rate) * 1000 - (performance.now() - started);
      if (due > 0) await sleep(due);
    }
    if (!closed) {
      res.end();
      state.bodiesSent += 1;
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    state,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Peak resident memory (VmHWM) of a process, from /proc. */
async function peakRss(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmHWM:\s+(\d+) kB$/m.exec(status)?.[1]);
  assert.ok(kib > 0, `no VmHWM in /proc/${pid}/status`);
  return kib * 1024;
}

async function poll(check: () => Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('a 200 MiB release binary', () => {
  let work: string;
  let hex: string;
  let upstream: Awaited<ReturnType<typeof startThrottledServer>>;
  let ballast: BallastProcess;
  let startRss = 0;

  before(async () => {
    work = await tempDir('files-large');
    hex = await writeSeededFile(join(work, name), 'files-large', size);
    await writeFile(join(work, `${name}.sha256sum`), `${hex}  ${name}\n`);
    upstream = await startThrottledServer(work);
    ballast = await startBallastProcess({
      files: [{ name: 'big', upstreams: [upstream.url], checksum: 'sidecar' }],
    });
    startRss = await peakRss(ballast.process.pid);
  });

  after(async () => {
    await ballast?.stop();
    await upstream?.stop();
    if (work) await removeDir(work);
  });

  const blobPath = () => join(ballast.dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex);
  const exists = (path: string) =>
    stat(path).then(
      () => true,
      () => false,
    );
  const tmpBytes = async () => {
    let total = 0;
    for (const file of await tmpFiles(ballast.dataDir))
      total += (await stat(join(ballast.dataDir, 'tmp', file)).catch(() => ({ size: 0 }))).size;
    return total;
  };

  test('a client that disconnects while Ballast fetches it leaves nothing half-written', async () => {
    upstream.state.rate = 40 * MiB;
    // The checksum file first: a small, complete file that the aborted download may not take along.
    const sidecar = await request(`${ballast.url}/files/big/${name}.sha256sum`);
    assert.equal(sidecar.statusCode, 200);
    await sidecar.body.dump();
    const before = await storeSnapshot(ballast.dataDir);
    const client = new AbortController();
    const pending = request(`${ballast.url}/files/big/${name}`, { signal: client.signal }).catch(
      (error: Error) => error,
    );
    await poll(async () => (await tmpBytes()) > 20 * MiB, 'the download to be under way');
    assert.equal(await exists(blobPath()), false, 'nothing is committed before it is verified');
    client.abort();
    assert.ok((await pending) instanceof Error);
    await poll(async () => (await tmpFiles(ballast.dataDir)).length === 0, 'tmp/ to be cleared');
    await poll(async () => upstream.state.bodiesCut === 1, 'the upstream download to be stopped');
    assert.equal(await exists(blobPath()), false);
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before, 'the store did not change');
  });

  test('streams through with bounded memory, verified before it is committed', async (t) => {
    upstream.state.rate = 400 * MiB;
    const before = await peakRss(ballast.process.pid);
    let headersAt = 0;
    const watcher = (async () => {
      await poll(async () => (await tmpBytes()) > 0, 'the download to start');
      // While bytes arrive in tmp/, the client has nothing yet and blobs/ has no copy.
      assert.equal(headersAt, 0, 'no byte reaches the client before verification');
      assert.equal(await exists(blobPath()), false);
    })();
    const started = performance.now();
    const response = await request(`${ballast.url}/files/big/${name}`);
    headersAt = performance.now();
    // The first byte reaches the client only once the verified copy is in blobs/.
    const committedWhenServed = await exists(blobPath());
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['ballast-cache'], 'miss');
    const hash = createHash('sha256');
    let received = 0;
    for await (const chunk of response.body) {
      hash.update(chunk);
      received += chunk.length;
    }
    const seconds = (performance.now() - started) / 1000;
    await watcher;
    assert.ok(committedWhenServed, 'committed before it was served');
    assert.equal(received, size);
    assert.equal(hash.digest('hex'), hex, 'the client got the verified bytes');
    const peak = await peakRss(ballast.process.pid);
    const report = `200 MiB file through Ballast in ${seconds.toFixed(1)} s: peak RSS ${(peak / MiB).toFixed(0)} MiB (${(startRss / MiB).toFixed(0)} MiB after start-up, ${(before / MiB).toFixed(0)} MiB before this download)`;
    t.diagnostic(report);
    // Buffers freed by the garbage collector in its own time: tens of MiB, not the file's size.
    assert.ok(peak - startRss < 128 * MiB, report);
    assert.deepEqual(await tmpFiles(ballast.dataDir), []);
  });

  test('a client that disconnects while the stored file streams to it changes nothing', async () => {
    const before = await storeSnapshot(ballast.dataDir);
    const client = new AbortController();
    const response = await request(`${ballast.url}/files/big/${name}`, { signal: client.signal });
    assert.equal(response.headers['ballast-cache'], 'hit');
    let received = 0;
    try {
      for await (const chunk of response.body) {
        received += chunk.length;
        if (received > 50 * MiB) client.abort();
      }
    } catch {
      // aborted on purpose
    }
    assert.ok(received < size);
    const health = await request(`${ballast.url}/-/healthz`);
    assert.equal(health.statusCode, 200);
    await health.body.dump();
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before);
  });
});
