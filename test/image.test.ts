import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chown, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BuiltImage, buildImage } from '../deploy/image/build-image.ts';
import { peerBinary } from './support/debian-peers.ts';
import { withFreePort } from './support/ports.ts';
import { httpProbe, startProcess } from './support/processes.ts';
import { startRegistry } from './support/registry.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// The container image as `npm run image` builds it: inspected with skopeo, pushed to the
// reference registry and pulled back, and run from its unpacked root file system, read-only,
// as uid 65532. Built twice (once in the background) to show the build is reproducible.

const run = promisify(execFile);
const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const pkg = JSON.parse(await readFile(join(projectRoot, 'package.json'), 'utf8')) as {
  version: string;
};
const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

interface ImageConfig {
  config: {
    User: string;
    Entrypoint: string[];
    Cmd: string[];
    Env: string[];
    ExposedPorts: Record<string, object>;
    WorkingDir: string;
    Labels: Record<string, string>;
  };
  history: { created_by?: string; empty_layer?: boolean }[];
}

describe('container image', { timeout: 900_000 }, () => {
  let work: string;
  let image: BuiltImage;
  let second: Promise<BuiltImage | Error>;
  let config: ImageConfig;
  let rootfs: string;
  const skopeo = (...args: string[]) => run(peerBinary('skopeo'), args, { maxBuffer: 64 << 20 });
  const archiveRef = () => `oci-archive:${image.archive}:${pkg.version}`;

  before(
    async () => {
      peerBinary('umoci');
      assert.equal(process.getuid?.(), 0, 'running the image with chroot needs root');
      work = await tempDir('image');
      image = await buildImage({ outDir: join(work, 'first'), quiet: true });
      // The second build runs while the tests below use the first.
      second = buildImage({ outDir: join(work, 'second'), quiet: true }).catch((e: Error) => e);
      config = JSON.parse((await skopeo('inspect', '--config', archiveRef())).stdout);
      const layout = join(work, 'layout');
      await mkdir(layout);
      await run('tar', ['-xf', image.archive, '-C', layout]);
      await run(peerBinary('umoci'), [
        'unpack',
        '--image',
        `${layout}:${pkg.version}`,
        join(work, 'bundle'),
      ]);
      rootfs = join(work, 'bundle', 'rootfs');
    },
    { timeout: 600_000 },
  );

  after(
    async () => {
      await second;
      if (work) await removeDir(work);
    },
    { timeout: 600_000 },
  );

  test('runs as uid 65532: entrypoint ballast, serve by default, port 8080, OCI labels', async () => {
    const { config: c } = config;
    assert.equal(c.User, '65532:65532');
    assert.deepEqual(c.Entrypoint, ['ballast']);
    assert.deepEqual(c.Cmd, ['serve', '--config', '/etc/ballast/ballast.yaml']);
    assert.deepEqual(Object.keys(c.ExposedPorts), ['8080/tcp']);
    const head = (await run('git', ['rev-parse', 'HEAD'], { cwd: projectRoot })).stdout.trim();
    assert.equal(c.Labels['org.opencontainers.image.version'], pkg.version);
    assert.equal(c.Labels['org.opencontainers.image.revision'], head);
    assert.equal(c.Labels['org.opencontainers.image.title'], 'ballast');
    assert.equal(c.Labels['org.opencontainers.image.licenses'], 'Apache-2.0');
    assert.match(
      c.Labels['org.opencontainers.image.created'] ?? '',
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
  });

  test('five layers, each with its history, under 80 MB compressed', async (t) => {
    const manifest = JSON.parse((await skopeo('inspect', '--raw', archiveRef())).stdout) as {
      layers: { size: number; mediaType: string }[];
    };
    assert.equal(manifest.layers.length, 5);
    const layered = config.history.filter((h) => !h.empty_layer).map((h) => h.created_by);
    assert.match(layered[0] ?? '', /^debian: libc6=.* ca-certificates=/);
    assert.match(layered[1] ?? '', /^node 24\./);
    assert.match(layered[4] ?? '', /compile cache/);
    const bytes = manifest.layers.reduce((sum, l) => sum + l.size, 0);
    t.diagnostic(`compressed size: ${(bytes / 1e6).toFixed(1)} MB`);
    assert.ok(bytes < 80e6, `${bytes} bytes`);
  });

  test('the SBOM lists the Debian packages, Node and the production dependencies only', async () => {
    const sbom = await readFile(image.sbom, 'utf8');
    assert.equal(await readFile(join(rootfs, 'opt/ballast/sbom.spdx.json'), 'utf8'), sbom);
    const doc = JSON.parse(sbom) as {
      spdxVersion: string;
      packages: { name: string; versionInfo: string }[];
    };
    assert.equal(doc.spdxVersion, 'SPDX-2.3');
    const version = (name: string) => doc.packages.find((p) => p.name === name)?.versionInfo;
    const installed = async (name: string) =>
      (
        JSON.parse(
          await readFile(join(projectRoot, 'node_modules', name, 'package.json'), 'utf8'),
        ) as { version: string }
      ).version;
    assert.equal(version('fastify'), await installed('fastify'));
    assert.equal(version('zod'), await installed('zod'));
    assert.match(version('libc6') ?? '', /^2\./);
    assert.match(version('node') ?? '', /^24\./);
    for (const dev of ['typescript', '@biomejs/biome', 'fast-check'])
      assert.equal(version(dev), undefined, `${dev} is a dev dependency`);
    await assert.rejects(stat(join(rootfs, 'opt/ballast/node_modules/typescript')));
  });

  test('pushed to the reference registry and pulled back byte for byte', async () => {
    await using registry = await startRegistry();
    const remote = `docker://${registry.host}/ballast:${pkg.version}`;
    await skopeo('copy', '--dest-tls-verify=false', archiveRef(), remote);
    const pulled = join(work, 'pulled');
    await skopeo('copy', '--src-tls-verify=false', remote, `oci:${pulled}:${pkg.version}`);
    const blobs = async (layout: string) => {
      const dir = join(layout, 'blobs', 'sha256');
      return (await readdir(dir)).sort();
    };
    const original = join(work, 'layout');
    const manifestDigest = (
      JSON.parse(await readFile(join(original, 'index.json'), 'utf8')) as {
        manifests: { digest: string }[];
      }
    ).manifests[0]?.digest;
    const served = (await skopeo('inspect', '--raw', '--tls-verify=false', remote)).stdout;
    assert.equal(sha256(Buffer.from(served)), manifestDigest);
    assert.deepEqual(await blobs(pulled), await blobs(original));
    for (const blob of await blobs(pulled)) {
      const bytes = await readFile(join(pulled, 'blobs', 'sha256', blob));
      assert.equal(sha256(bytes), `sha256:${blob}`);
    }
  });

  /** A command in the image's root, read-only, as the image's user, with the image's env. */
  function inImage(command: string[], mounts: string[]) {
    const root = rootfs;
    const script = [
      `mount --bind ${root} ${root}`,
      `mount -o remount,bind,ro ${root}`,
      `mount -t tmpfs tmpfs ${root}/tmp`,
      `mount --bind /dev ${root}/dev`,
      `mount -t proc proc ${root}/proc`,
      ...mounts,
      `exec chroot --userspec=${config.config.User} ${root} ${command.join(' ')}`,
    ].join(' && ');
    const env = Object.fromEntries(config.config.Env.map((e) => e.split(/=(.*)/s).slice(0, 2)));
    return {
      args: ['--mount', 'sh', '-c', script],
      env: { ...env, PATH: `${env.PATH}:/usr/sbin:/sbin` },
    };
  }

  test('ballast --version runs from the read-only root, with the warmed compile cache', async () => {
    const { args, env } = inImage(['ballast', '--version'], []);
    const { stdout, stderr } = await run('unshare', args, {
      env: { ...env, NODE_DEBUG_NATIVE: 'COMPILE_CACHE' },
    });
    assert.equal(stdout.trim(), pkg.version);
    assert.match(
      stderr,
      /retrieving transpile cache for StrippedTypeScript file:\/\/\/opt\/ballast\/src\/cli\/main\.ts\.\.\.success/,
    );
  });

  test('ballast serve (the default command) answers /-/healthz with the store on a writable mount', async () => {
    const data = join(work, 'data');
    await mkdir(data);
    await chown(data, 65532, 65532);
    await withFreePort(async (port) => {
      const configFile = join(work, `ballast-${port}.yaml`);
      await writeFile(
        configFile,
        `listen: 127.0.0.1:${port}\nstorage: { fs: { path: /var/lib/ballast } }\n`,
      );
      const { args, env } = inImage(
        [...config.config.Entrypoint, ...config.config.Cmd],
        [
          `mount --bind ${configFile} ${rootfs}/etc/ballast/ballast.yaml`,
          `mount --bind ${data} ${rootfs}/var/lib/ballast`,
        ],
      );
      await using ballast = await startProcess('unshare', args, {
        name: 'ballast in the image',
        env,
        ready: httpProbe(`http://127.0.0.1:${port}/-/healthz`, (res) => res.statusCode === 200),
        readyTimeoutMs: 60_000,
      });
      const health = await fetch(`http://127.0.0.1:${port}/-/healthz`);
      assert.equal(health.status, 200);
      const blobs = await stat(join(data, 'blobs'));
      assert.equal(blobs.uid, 65532, 'the store was written as the image user');
      assert.ok(ballast.pid > 0);
    });
  });

  test('the Containerfile for Docker and Podman builds the same configuration', async () => {
    const text = await readFile(join(projectRoot, 'deploy/image/Containerfile'), 'utf8');
    const final = text.slice(text.lastIndexOf('\nFROM ')).replace(/\\\n\s*/g, ' ');
    const instruction = (name: string) =>
      [...final.matchAll(new RegExp(`^${name} (.*)$`, 'gm'))].map((m) => m[1] ?? '');
    const { config: c } = config;
    assert.deepEqual(instruction('USER'), [c.User]);
    assert.deepEqual(instruction('WORKDIR'), [c.WorkingDir]);
    assert.deepEqual(instruction('EXPOSE'), Object.keys(c.ExposedPorts));
    assert.deepEqual(JSON.parse(instruction('ENTRYPOINT')[0] ?? ''), c.Entrypoint);
    assert.deepEqual(JSON.parse(instruction('CMD')[0] ?? ''), c.Cmd);
    assert.deepEqual(instruction('ENV').sort(), [...c.Env].sort());
    const labels = [...(instruction('LABEL')[0] ?? '').matchAll(/([\w.]+)=/g)].map((m) => m[1]);
    assert.deepEqual(labels.sort(), Object.keys(c.Labels).sort());
  });

  test('two builds from the same inputs give the same digest and the same bytes', {
    timeout: 600_000,
  }, async () => {
    const again = await second;
    if (again instanceof Error) throw again;
    const digest = async (archive: string) =>
      (
        JSON.parse((await run('tar', ['-xOf', archive, './index.json'])).stdout) as {
          manifests: { digest: string }[];
        }
      ).manifests[0]?.digest;
    assert.equal(await digest(again.archive), await digest(image.archive));
    assert.ok((await readFile(again.archive)).equals(await readFile(image.archive)));
  });
});
