import { execFile } from 'node:child_process';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * What Node's binary needs at run time (`ldd node`: libc, libm, libdl, libpthread from libc6;
 * libstdc++ and libgcc_s) and the CA bundle. Nothing else: no shell, no package manager.
 */
export const debianPackages = ['libc6', 'libgcc-s1', 'libstdc++6', 'ca-certificates'] as const;

/** Left out of the unpacked packages: documentation, translations, iconv modules Node never loads. */
const pruned = [
  'usr/share/doc',
  'usr/share/man',
  'usr/share/info',
  'usr/share/lintian',
  'usr/share/locale',
  'usr/share/gcc',
  'usr/share/gdb',
  'usr/lib/x86_64-linux-gnu/gconv',
  'usr/lib/aarch64-linux-gnu/gconv',
  'usr/sbin',
];

export interface DebianPackage {
  name: string;
  version: string;
  architecture: string;
  file: string;
}

/**
 * The packages' .deb files, fetched once with `apt-get download` (the versions the build
 * machine's apt knows) into `cacheDir` and reused after: a rebuild needs no network, and the
 * same .debs give the same layer.
 */
export async function fetchDebianPackages(cacheDir: string): Promise<DebianPackage[]> {
  await mkdir(cacheDir, { recursive: true });
  const have = async () => (await readdir(cacheDir)).filter((f) => f.endsWith('.deb'));
  const present = await have();
  const toFetch = debianPackages.filter((name) => !present.some((f) => f.startsWith(`${name}_`)));
  if (toFetch.length > 0) await run('apt-get', ['download', ...toFetch], { cwd: cacheDir });
  const packages: DebianPackage[] = [];
  for (const name of debianPackages) {
    const candidates: DebianPackage[] = [];
    for (const file of (await have()).filter((f) => f.startsWith(`${name}_`))) {
      const fields = await run('dpkg-deb', [
        '-f',
        path.join(cacheDir, file),
        'Version',
        'Architecture',
      ]);
      const [version = '', architecture = ''] = fields.stdout
        .split('\n')
        .map((line) => line.replace(/^[^:]+: /, ''));
      candidates.push({ name, version, architecture, file: path.join(cacheDir, file) });
    }
    const newest = await newestOf(candidates);
    if (!newest) throw new Error(`apt-get download ${name} left no .deb in ${cacheDir}`);
    packages.push(newest);
  }
  return packages;
}

/** When the cache holds several versions of a package (apt moved on), the newest by dpkg's rules. */
async function newestOf(candidates: DebianPackage[]): Promise<DebianPackage | undefined> {
  let newest = candidates[0];
  for (const candidate of candidates.slice(1)) {
    const newer = await run('dpkg', [
      '--compare-versions',
      candidate.version,
      'gt',
      newest?.version ?? '',
    ]).then(
      () => true,
      () => false,
    );
    if (newer) newest = candidate;
  }
  return newest;
}

/** Unpacks the packages into `root` (no maintainer scripts run), then does what their scripts would. */
export async function unpackDebianPackages(packages: DebianPackage[], root: string): Promise<void> {
  for (const pkg of packages) await run('dpkg-deb', ['-x', pkg.file, root]);
  for (const dir of pruned) await rm(path.join(root, dir), { recursive: true, force: true });
  await writeCaBundle(root);
}

/** What update-ca-certificates writes: every certificate ca-certificates ships, in one file. */
async function writeCaBundle(root: string): Promise<void> {
  const source = path.join(root, 'usr/share/ca-certificates');
  const files = (await readdir(source, { recursive: true }))
    .filter((f) => f.endsWith('.crt'))
    .sort();
  const pems = await Promise.all(files.map((f) => readFile(path.join(source, f), 'utf8')));
  const bundle = pems.map((pem) => (pem.endsWith('\n') ? pem : `${pem}\n`)).join('');
  await mkdir(path.join(root, 'etc/ssl/certs'), { recursive: true });
  await writeFile(path.join(root, 'etc/ssl/certs/ca-certificates.crt'), bundle);
}
