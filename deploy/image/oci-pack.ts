import { execFile } from 'node:child_process';
import { chmod, lstat, lutimes, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface ImageConfig {
  user: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  ports: string[];
  workingDir: string;
  labels: Record<string, string>;
}

/**
 * An OCI image layout built with umoci, offline and without a daemon: each `layer` call adds
 * what changed under the bundle's rootfs as one layer. `umoci unpack --rootless` maps the
 * builder to root, so every file in the image is owned by root whoever builds it; times and
 * modes are made the same on every build before each layer is packed.
 */
export async function createImageLayout(
  layout: string,
  bundle: string,
  tag: string,
  created: Date,
) {
  const image = `${layout}:${tag}`;
  const when = created.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const history = (createdBy: string) => [
    '--history.created',
    when,
    '--history.created_by',
    createdBy,
  ];
  await umoci(['init', '--layout', layout]);
  await umoci(['new', '--image', image]);
  await umoci(['unpack', '--rootless', '--image', image, bundle]);
  const rootfs = path.join(bundle, 'rootfs');
  return {
    rootfs,
    async layer(description: string): Promise<void> {
      await normalizeTree(rootfs, created);
      await umoci([
        'repack',
        '--refresh-bundle',
        ...history(description),
        '--image',
        image,
        bundle,
      ]);
    },
    async configure(config: ImageConfig): Promise<void> {
      const args = [
        ...['--created', when, '--architecture', 'amd64', '--os', 'linux'],
        ...['--config.user', config.user, '--config.workingdir', config.workingDir],
        ...config.entrypoint.flatMap((e) => ['--config.entrypoint', e]),
        ...config.cmd.flatMap((c) => ['--config.cmd', c]),
        ...Object.entries(config.env).flatMap(([k, v]) => ['--config.env', `${k}=${v}`]),
        ...config.ports.flatMap((p) => ['--config.exposedports', p]),
        ...Object.entries(config.labels).flatMap(([k, v]) => ['--config.label', `${k}=${v}`]),
      ];
      await umoci(['config', ...history('image configuration'), '--image', image, ...args]);
      await umoci(['gc', '--layout', layout]);
    },
  };
}

/**
 * One modification time for everything, and modes that do not depend on the builder's umask:
 * directories 0755, files 0644 or 0755 when executable by the owner. `/tmp` and the data
 * folder are 1777 so any uid the container runs as can write there when they are not mounts.
 */
export async function normalizeTree(
  root: string,
  created: Date,
  sticky: readonly string[] = ['tmp', 'var/lib/ballast'],
): Promise<void> {
  const entries = await readdir(root, { recursive: true });
  for (const relative of [...entries, '.']) {
    const file = path.join(root, relative);
    const info = await lstat(file);
    if (!info.isSymbolicLink()) {
      const mode = info.isDirectory()
        ? sticky.includes(relative)
          ? 0o1777
          : 0o755
        : info.mode & 0o100
          ? 0o755
          : 0o644;
      await chmod(file, mode);
    }
    await lutimes(file, created, created);
  }
}

/** The layout as one tar file, entries sorted, owned by root, with the build's time. */
export async function writeOciArchive(layout: string, out: string, created: Date): Promise<void> {
  await normalizeTree(layout, created, []);
  await run('tar', [
    ...['--sort=name', `--mtime=@${Math.floor(created.getTime() / 1000)}`],
    ...['--owner=0', '--group=0', '--numeric-owner', '--format=posix'],
    ...['--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime'],
    ...['-cf', out, '-C', layout, '.'],
  ]);
}

async function umoci(args: string[]): Promise<void> {
  try {
    await run('umoci', args, { maxBuffer: 16 * 1024 * 1024 });
  } catch (error) {
    const { code, stderr } = error as NodeJS.ErrnoException & { stderr?: string };
    if (code === 'ENOENT') throw new Error('umoci is not installed: apt-get install umoci');
    throw new Error(`umoci ${args[0]} failed: ${stderr ?? String(error)}`);
  }
}
