import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { httpRequest, metricValue } from './support/http.ts';
import { auditStoreBlobs, namedUrl, startTestDns, type TestDns } from './support/resilience-e2e.ts';
import { seededBytes } from './support/seeded-bytes.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { storeSnapshot, tmpFiles } from './support/store-snapshot.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// Incident A for release binaries: get.helm.sh stops resolving. Two upstreams laid out
// differently (flat, and per-version folders reached through `rewrite`), real DNS (dnsmasq),
// and every byte a client receives or the store keeps is verified against a checksum file.

const getName = 'get.ballast.test';
const mirrorName = 'mirror.ballast.test';
const fileOf = (version: string) => `helm-${version}-linux-amd64.tar.gz`;
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

describe('file mirror: ordered upstreams, rewrite, checksum files, real DNS', () => {
  let work: string;
  let get: StaticServer;
  let mirror: StaticServer;
  let dns: TestDns;
  const bytes = new Map<string, Buffer>();
  let corruptedHex = '';
  const running: BallastProcess[] = [];

  /** Writes FILE (and, unless `sidecar` is false, FILE.sha256sum) into an upstream's folder. */
  async function publish(
    root: string,
    path: string,
    content: Buffer,
    sidecar: string | false = `${sha256(content)}  ${path.slice(path.lastIndexOf('/') + 1)}\n`,
  ) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
    if (sidecar !== false) await writeFile(join(root, `${path}.sha256sum`), sidecar);
  }

  before(async () => {
    work = await tempDir('files-dns');
    const getRoot = join(work, 'get');
    const mirrorRoot = join(work, 'mirror');
    for (const version of ['v3.16.1', 'v3.16.2', 'v3.16.3', 'v3.16.4', 'v3.16.5']) {
      const content = seededBytes(version, 200_000);
      bytes.set(version, content);
      const flat = fileOf(version);
      if (version === 'v3.16.2') {
        // The first upstream serves a corrupted file next to a correct checksum file.
        const corrupted = Buffer.from(content);
        corrupted[1000] = (corrupted[1000] as number) ^ 0xff;
        corruptedHex = sha256(corrupted);
        await publish(getRoot, flat, corrupted, `${sha256(content)}  ${flat}\n`);
      } else if (version === 'v3.16.3' || version === 'v3.16.4') {
        // A checksum file whose hash is malformed (63 hex characters and a stray letter).
        await publish(getRoot, flat, content, `${sha256(content).slice(1)}z  ${flat}\n`);
      } else {
        await publish(getRoot, flat, content);
      }
      // The second upstream: per-version folders, and bare-hash `.sha256` files only.
      if (version !== 'v3.16.4')
        await publish(mirrorRoot, `helm/${version}/${flat}`, content, false).then(() =>
          writeFile(join(mirrorRoot, `helm/${version}/${flat}.sha256`), `${sha256(content)}\n`),
        );
    }
    await writeFile(join(getRoot, 'helm-latest-version'), 'v3.16.4\n');
    get = await startStaticServer({ root: getRoot });
    mirror = await startStaticServer({ root: mirrorRoot });
    dns = await startTestDns([mirrorName]);
  });

  after(async () => {
    for (const ballast of running) await ballast.stop();
    await get?.stop();
    await mirror?.stop();
    await dns?.dnsmasq.stop();
    if (work) await removeDir(work);
  });

  async function startMirror(): Promise<BallastProcess> {
    const ballast = await startBallastProcess({
      resolver: { ...dns.resolver, staleFor: '1s' },
      resilience: { deadline: '3s' },
      files: [
        {
          name: 'helm',
          upstreams: [
            namedUrl('get', get.port),
            {
              url: `${namedUrl('mirror', mirror.port)}/helm`,
              rewrite: { match: '^helm-(v[^-]+)-(.*)$', to: '$1/helm-$1-$2' },
            },
          ],
          checksum: 'sidecar',
          mutable: ['helm-latest-version'],
          refresh: '1s',
          deadline: '3s',
        },
      ],
    });
    running.push(ballast);
    return ballast;
  }

  const getRequests = (path: string) => get.requests.filter((r) => r.path === path).length;

  test('the first upstream stops resolving: the second, laid out differently, serves the file', async () => {
    await dns.resolvable([mirrorName]);
    const ballast = await startMirror();
    const response = await httpRequest(`${ballast.url}/files/helm/${fileOf('v3.16.1')}`);
    assert.equal(response.status, 200, response.body.toString());
    assert.ok(response.body.equals(bytes.get('v3.16.1') as Buffer));
    assert.equal(getRequests(`/${fileOf('v3.16.1')}`), 0, 'nothing reached the unresolvable host');
    assert.ok(
      mirror.requests.some((r) => r.path === `/helm/v3.16.1/${fileOf('v3.16.1')}`),
      'the rewrite mapped the flat name to the versioned folder',
    );
    assert.ok(
      (await metricValue(ballast.url, 'ballast_dns_lookup_failures_total', { hostname: getName })) >
        0,
    );
    // The checksum it was verified against (the second upstream's bare `.sha256`) is served too.
    const sidecar = await httpRequest(`${ballast.url}/files/helm/${fileOf('v3.16.1')}.sha256`);
    assert.equal(sidecar.body.toString().trim(), sha256(bytes.get('v3.16.1') as Buffer));
    const audit = await auditStoreBlobs(ballast.dataDir);
    assert.deepEqual(audit.bad, []);
    assert.deepEqual(await tmpFiles(ballast.dataDir), []);
    await ballast.stop();
  });

  test('a corrupted copy with a correct checksum file is refused; the next upstream serves the file', async () => {
    await dns.resolvable([getName, mirrorName]);
    const ballast = await startMirror();
    const path = fileOf('v3.16.2');
    const response = await httpRequest(`${ballast.url}/files/helm/${path}`);
    assert.equal(response.status, 200, response.body.toString());
    assert.ok(
      response.body.equals(bytes.get('v3.16.2') as Buffer),
      'the client got verified bytes',
    );
    assert.equal(getRequests(`/${path}`), 1, 'the corrupted copy was fetched once, not retried');
    const rejected = await metricValue(ballast.url, 'ballast_files_rejected_total', {
      mirror: 'helm',
      code: 'BALLAST_DIGEST_MISMATCH',
    });
    assert.equal(rejected, 1, 'the mismatch is counted');
    // The store holds verified bytes only: every blob hashes to its name, no partial writes.
    const audit = await auditStoreBlobs(ballast.dataDir);
    assert.deepEqual(audit.bad, []);
    assert.ok(!(await storeSnapshot(ballast.dataDir)).some((line) => line.includes(corruptedHex)));
    assert.deepEqual(await tmpFiles(ballast.dataDir), []);

    // Served from the store now: immutable, ETag and 304, Range, HEAD.
    const again = await httpRequest(`${ballast.url}/files/helm/${path}`);
    assert.equal(again.headers['ballast-cache'], 'hit');
    assert.match(again.headers['cache-control'] ?? '', /immutable/);
    const etag = again.headers.etag as string;
    assert.equal(etag, `"sha256:${sha256(bytes.get('v3.16.2') as Buffer)}"`);
    const notModified = await httpRequest(`${ballast.url}/files/helm/${path}`, {
      headers: { 'if-none-match': etag },
    });
    assert.equal(notModified.status, 304);
    const range = await httpRequest(`${ballast.url}/files/helm/${path}`, {
      headers: { range: 'bytes=100-199' },
    });
    assert.equal(range.status, 206);
    assert.ok(range.body.equals((bytes.get('v3.16.2') as Buffer).subarray(100, 200)));
    const head = await httpRequest(`${ballast.url}/files/helm/${path}`, { method: 'HEAD' });
    assert.equal(head.headers['content-length'], '200000');
    assert.equal(getRequests(`/${path}`), 1, 'never fetched again');
    await ballast.stop();
  });

  test('a malformed checksum file is refused and counted; the next upstream’s is used', async () => {
    const ballast = await startMirror();
    const response = await httpRequest(`${ballast.url}/files/helm/${fileOf('v3.16.3')}`);
    assert.equal(response.status, 200, response.body.toString());
    assert.ok(response.body.equals(bytes.get('v3.16.3') as Buffer));
    const rejected = await metricValue(ballast.url, 'ballast_files_rejected_total', {
      mirror: 'helm',
      code: 'BALLAST_FILE_CHECKSUM_INVALID',
    });
    assert.equal(rejected, 1);
    await ballast.stop();
  });

  test('bad input: a malformed checksum file with no other upstream, and unsafe paths; nothing stored', async () => {
    const ballast = await startMirror();
    const before = await storeSnapshot(ballast.dataDir);
    const malformed = await httpRequest(`${ballast.url}/files/helm/${fileOf('v3.16.4')}`);
    assert.equal(malformed.status, 502);
    const body = JSON.parse(malformed.body.toString()) as {
      error: { code: string; message: string };
    };
    assert.equal(body.error.code, 'BALLAST_FILE_CHECKSUM_INVALID');
    assert.match(body.error.message, /helm-v3\.16\.4-linux-amd64\.tar\.gz\.sha256sum/);
    assert.match(body.error.message, /64-character hex sha256/);
    const direct = await httpRequest(`${ballast.url}/files/helm/${fileOf('v3.16.4')}.sha256sum`);
    assert.equal(direct.status, 502, 'a malformed checksum file is not served either');
    for (const path of ['..%2F..%2Fetc%2Fpasswd', 'a%2F..%2F..%2Fb', 'x%5Cy', 'x%00y', 'a//b']) {
      const refused = await httpRequest(`${ballast.url}/files/helm/${path}`);
      assert.equal(refused.status, 400, path);
      assert.match(refused.body.toString(), /BALLAST_BAD_PATH/);
    }
    const unknown = await httpRequest(`${ballast.url}/files/nope/${fileOf('v3.16.1')}`);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.toString(), /BALLAST_FILE_MIRROR_NOT_FOUND/);
    const missing = await httpRequest(`${ballast.url}/files/helm/helm-v9.9.9-linux-amd64.tar.gz`);
    assert.equal(missing.status, 502);
    assert.match(missing.body.toString(), /BALLAST_FILE_CHECKSUM_MISSING/);
    assert.deepEqual(await storeSnapshot(ballast.dataDir), before, 'nothing stored changed');
    await ballast.stop();
  });

  test('a mutable path follows the index rules: revalidated after refresh, last good copy when upstreams fail', async () => {
    const ballast = await startMirror();
    const url = `${ballast.url}/files/helm/helm-latest-version`;
    const first = await httpRequest(url);
    assert.equal(first.status, 200, first.body.toString());
    assert.equal(first.body.toString(), 'v3.16.4\n');
    assert.equal(first.headers['cache-control'], 'no-cache');

    await writeFile(join(work, 'get', 'helm-latest-version'), 'v3.16.5\n');
    await new Promise((resolve) => setTimeout(resolve, 1_200));
    let latest = '';
    for (let i = 0; i < 50 && latest !== 'v3.16.5\n'; i++) {
      latest = (await httpRequest(url)).body.toString();
      if (latest !== 'v3.16.5\n') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(latest, 'v3.16.5\n', 'the new version arrived after a revalidation');

    const kept = await httpRequest(`${ballast.url}/files/helm/${fileOf('v3.16.5')}`);
    assert.equal(kept.status, 200);

    // Both upstreams vanish (and their addresses age out): the last good copy is served.
    await dns.resolvable([]);
    await get.stop();
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    let stale = await httpRequest(url);
    for (let i = 0; i < 100 && !stale.headers['ballast-stale']; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      stale = await httpRequest(url);
    }
    assert.equal(stale.status, 200);
    assert.equal(stale.body.toString(), 'v3.16.5\n');
    assert.ok(stale.headers['ballast-stale'], 'the response says it is the last good copy');
    // An immutable file already stored keeps being served without any upstream.
    const cached = await httpRequest(`${ballast.url}/files/helm/${fileOf('v3.16.5')}`);
    assert.equal(cached.status, 200);
    assert.ok(cached.body.equals(bytes.get('v3.16.5') as Buffer));
    await ballast.stop();
  });
});
