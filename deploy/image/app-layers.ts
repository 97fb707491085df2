import { cp, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Where things go in the image. */
export const imagePaths = Object.freeze({
  node: 'usr/local/bin/node',
  launcher: 'usr/local/bin/ballast',
  app: 'opt/ballast',
  compileCache: 'var/cache/ballast/compile',
  config: 'etc/ballast/ballast.yaml',
  data: 'var/lib/ballast',
  sbom: 'opt/ballast/sbom.spdx.json',
});

export const imageUser = { uid: 65532, gid: 65532, name: 'ballast' } as const;

export interface NpmPackage {
  name: string;
  version: string;
  license: string;
  /** Its folder in the project, relative, e.g. `node_modules/fastify`. */
  location: string;
}

interface LockEntry {
  version?: string;
  license?: string;
  dev?: boolean;
  link?: boolean;
}

/**
 * Production dependencies as package-lock.json records them (everything not marked `dev`),
 * each with the folder npm installed it in; optional packages that were not installed (other
 * platforms) are left out by the caller.
 */
export async function productionPackages(projectRoot: string): Promise<NpmPackage[]> {
  const lock = JSON.parse(await readFile(path.join(projectRoot, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  return Object.entries(lock.packages)
    .filter(([location, entry]) => location !== '' && !entry.dev && !entry.link)
    .map(([location, entry]) => ({
      name: location.slice(location.lastIndexOf('node_modules/') + 'node_modules/'.length),
      version: entry.version ?? '',
      license: entry.license ?? 'NOASSERTION',
      location,
    }))
    .sort((a, b) => (a.location < b.location ? -1 : 1));
}

/** Ballast's own files: the entry point and the sources, without tests. */
export async function copyBallast(projectRoot: string, root: string): Promise<void> {
  const app = path.join(root, imagePaths.app);
  await mkdir(app, { recursive: true });
  const notATest = (source: string) => !source.endsWith('.test.ts');
  for (const part of ['bin', 'src', 'package.json'])
    await cp(path.join(projectRoot, part), path.join(app, part), {
      recursive: true,
      filter: notATest,
    });
}

/** Each production package's own files; its nested node_modules are packages of their own. */
export async function copyPackages(
  projectRoot: string,
  packages: readonly NpmPackage[],
  root: string,
): Promise<NpmPackage[]> {
  const copied: NpmPackage[] = [];
  for (const pkg of packages) {
    const source = path.join(projectRoot, pkg.location);
    const nested = path.join(source, 'node_modules');
    try {
      await cp(source, path.join(root, imagePaths.app, pkg.location), {
        recursive: true,
        filter: (file) => file !== nested,
      });
      copied.push(pkg);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return copied;
}

/** Node's binary, and `ballast` on the PATH without a shell: a script Node itself runs. */
export async function copyNode(nodeBinary: string, root: string): Promise<void> {
  await mkdir(path.join(root, 'usr/local/bin'), { recursive: true });
  await cp(nodeBinary, path.join(root, imagePaths.node));
  await cp(new URL('./ballast', import.meta.url), path.join(root, imagePaths.launcher));
}

/** The few files of /etc a process expects, the non-root user, and the default config. */
export async function writeSystemFiles(root: string): Promise<void> {
  const { uid, gid, name } = imageUser;
  const files: Record<string, string> = {
    'etc/passwd': `root:x:0:0:root:/root:/sbin/nologin\n${name}:x:${uid}:${gid}:${name}:/${imagePaths.data}:/sbin/nologin\n`,
    'etc/group': `root:x:0:\n${name}:x:${gid}:\n`,
    'etc/nsswitch.conf': 'hosts: files dns\n',
    [imagePaths.config]: [
      '# The image default: an empty mirror. Mount your own ballast.yaml over this file.',
      'listen: 0.0.0.0:8080',
      `storage: { fs: { path: /${imagePaths.data} } }`,
      '',
    ].join('\n'),
  };
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
  for (const dir of ['tmp', imagePaths.data, 'proc', 'sys', 'dev'])
    await mkdir(path.join(root, dir), { recursive: true });
}
