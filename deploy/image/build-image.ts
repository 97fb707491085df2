// `npm run image`: builds dist/ballast.oci.tar, an OCI image of Ballast assembled from Debian
// packages, the project's own Node binary and Ballast with its production dependencies.
// No base image is pulled and no daemon is needed; the same inputs give the same digest.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import {
  copyBallast,
  copyNode,
  copyPackages,
  imagePaths,
  imageUser,
  productionPackages,
  writeSystemFiles,
} from './app-layers.ts';
import { warmCompileCache } from './compile-cache.ts';
import { fetchDebianPackages, unpackDebianPackages } from './debian-layer.ts';
import { createImageLayout, writeOciArchive } from './oci-pack.ts';
import { imageSbom } from './sbom.ts';

const run = promisify(execFile);
const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const defaultDebCache = path.join(projectRoot, '.cache', 'image-debs');

export interface BuiltImage {
  archive: string;
  tag: string;
  sbom: string;
}

export interface BuildOptions {
  /** Where the archive and the SBOM go; default dist/. */
  outDir?: string;
  /** Where downloaded .debs are kept between builds; default .cache/image-debs/. */
  debCache?: string;
  /** No progress lines on stderr. */
  quiet?: boolean;
}

export async function buildImage(options: BuildOptions = {}): Promise<BuiltImage> {
  const outDir = options.outDir ?? path.join(projectRoot, 'dist');
  const debCache = options.debCache ?? defaultDebCache;
  const { version, description } = JSON.parse(
    await readFile(path.join(projectRoot, 'package.json'), 'utf8'),
  ) as { version: string; description: string };
  const { created, revision } = await sourceDate();
  const nodeBinary = path.join(projectRoot, 'node_modules/node/bin/node');
  const nodeVersion = (await run(nodeBinary, ['--version'])).stdout.trim().replace(/^v/, '');

  let last = Date.now();
  const step = (what: string) => {
    if (options.quiet) return;
    process.stderr.write(`${what} (${((Date.now() - last) / 1000).toFixed(1)} s)\n`);
    last = Date.now();
  };
  const work = await mkdtemp(path.join(tmpdir(), 'ballast-image-'));
  try {
    const layout = path.join(work, 'layout');
    const image = await createImageLayout(layout, path.join(work, 'bundle'), version, created);
    const root = image.rootfs;

    const debian = await fetchDebianPackages(debCache);
    await unpackDebianPackages(debian, root);
    await writeSystemFiles(root);
    await image.layer(`debian: ${debian.map((p) => `${p.name}=${p.version}`).join(' ')}`);
    step('layer 1: Debian packages');

    await copyNode(nodeBinary, root);
    await image.layer(`node ${nodeVersion}`);
    step('layer 2: Node');

    const npm = await copyPackages(projectRoot, await productionPackages(projectRoot), root);
    await image.layer(`ballast ${version} production dependencies (${npm.length} packages)`);
    step('layer 3: production dependencies');

    const sbom = imageSbom({ version, created, debian, node: nodeVersion, npm });
    await copyBallast(projectRoot, root);
    await writeFile(path.join(root, imagePaths.sbom), sbom);
    await image.layer(`ballast ${version}`);
    step('layer 4: Ballast');

    await warmCompileCache(root);
    await image.layer('compile cache');
    step('layer 5: compile cache');

    await image.configure({
      user: `${imageUser.uid}:${imageUser.gid}`,
      entrypoint: ['ballast'],
      cmd: ['serve', '--config', `/${imagePaths.config}`],
      env: {
        PATH: '/usr/local/bin:/usr/bin:/bin',
        NODE_COMPILE_CACHE: `/${imagePaths.compileCache}`,
        NODE_USE_SYSTEM_CA: '1',
        SSL_CERT_FILE: '/etc/ssl/certs/ca-certificates.crt',
      },
      ports: ['8080/tcp'],
      workingDir: `/${imagePaths.data}`,
      labels: {
        'org.opencontainers.image.title': 'ballast',
        'org.opencontainers.image.description': description,
        'org.opencontainers.image.version': version,
        'org.opencontainers.image.revision': revision,
        'org.opencontainers.image.created': created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'org.opencontainers.image.licenses': 'Apache-2.0',
      },
    });

    await mkdir(outDir, { recursive: true });
    const archive = path.join(outDir, 'ballast.oci.tar');
    await writeOciArchive(layout, archive, created);
    step('archive');
    const sbomFile = path.join(outDir, 'ballast.spdx.json');
    await writeFile(sbomFile, sbom);
    return { archive, tag: version, sbom: sbomFile };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** SOURCE_DATE_EPOCH when set, else the last commit's time: builds of one commit agree. */
async function sourceDate(): Promise<{ created: Date; revision: string }> {
  const git = async (args: string[]) =>
    (await run('git', args, { cwd: projectRoot }).catch(() => ({ stdout: '' }))).stdout.trim();
  const epoch = process.env.SOURCE_DATE_EPOCH ?? (await git(['log', '-1', '--format=%ct']));
  const seconds = Number(epoch);
  if (!Number.isInteger(seconds) || seconds <= 0)
    throw new Error('set SOURCE_DATE_EPOCH (seconds) when building outside a git checkout');
  return {
    created: new Date(seconds * 1000),
    revision: (await git(['rev-parse', 'HEAD'])) || 'unknown',
  };
}

if (import.meta.main && process.argv.includes('--fetch-only')) {
  // CI fetches the packages before the tests, so the tests that build the image stay offline.
  const packages = await fetchDebianPackages(defaultDebCache);
  console.log(packages.map((p) => `${p.name} ${p.version}`).join('\n'));
} else if (import.meta.main) {
  const started = Date.now();
  const built = await buildImage();
  const index = JSON.parse((await run('tar', ['-xOf', built.archive, './index.json'])).stdout) as {
    manifests: { digest: string }[];
  };
  console.log(
    `wrote ${path.relative(process.cwd(), built.archive)} (ballast:${built.tag}, ${index.manifests[0]?.digest}) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}
